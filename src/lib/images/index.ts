// Images for vision models: PNG, JPEG and DICOM in, metadata-free PNG pixels out. Pure JavaScript, no native code.
export {dicomToRaster} from './dicom.js'
export type {DicomImageInfo, DicomToRasterOptions} from './dicom.js'
export {loadImage, MAX_IMAGE_FILE_BYTES, prepareImage, sniffImageFormat} from './load-image.js'
export type {ImageFormat, PrepareImageOptions, PreparedImage} from './load-image.js'
export {decodePng, encodePng} from './png.js'
export {fitWithin, toRaster} from './raster.js'
export type {Raster} from './raster.js'
