import {readFile} from 'node:fs/promises'
import {basename} from 'node:path'

import {InputError} from '../../errors/index.js'

/**
 * Short clinical notes written for jsl-med (fictional patients, no real record behind them), the text `bench --tasks
 * quality` compares next-token distributions over when no `--text` is given. They mix the registers a medical model
 * meets: history, medication lists with doses, vitals, abbreviations, assessment and plan.
 */
export const BUILTIN_CLINICAL_NOTES: readonly string[] = [
  'Chief complaint: chest tightness for two days.\nHPI: 58-year-old man with hypertension and type 2 diabetes reports intermittent substernal pressure on exertion, relieved by rest within five minutes. No radiation, no diaphoresis. He stopped taking amlodipine three weeks ago because of ankle swelling.\nVitals: BP 162/94, HR 88, RR 16, SpO2 97% on room air, T 36.8 C.\nECG: sinus rhythm, no acute ST changes.\nAssessment: stable angina, uncontrolled hypertension.\nPlan: troponin x2, lipid panel, HbA1c; start aspirin 81 mg daily and atorvastatin 40 mg nightly; switch amlodipine to lisinopril 10 mg daily; outpatient stress test; return precautions reviewed.',
  'Discharge summary. A 74-year-old woman was admitted with community-acquired pneumonia of the right lower lobe. She received ceftriaxone 1 g IV daily and azithromycin 500 mg for three days, then was changed to oral amoxicillin-clavulanate. Oxygen was weaned to room air on day 3. Creatinine rose from 0.9 to 1.4 mg/dL and returned to baseline with IV fluids. Discharge medications: amoxicillin-clavulanate 875/125 mg twice daily for four more days, metoprolol succinate 25 mg daily, and her usual levothyroxine 75 mcg. Follow-up with her primary care physician in one week with a repeat chest X-ray in six weeks.',
  'Progress note, pediatrics. 4-year-old boy, day 2 of admission for dehydration from viral gastroenteritis. Vomiting has stopped; he tolerated 600 mL of oral rehydration solution overnight and had two loose stools. Weight 16.2 kg, up 0.4 kg from admission. Mucous membranes moist, capillary refill under 2 seconds, abdomen soft and non-tender. Sodium 138, potassium 3.9, bicarbonate 21. Plan: stop IV fluids, advance to a regular diet as tolerated, discharge this afternoon if he keeps drinking. Parents were taught the signs of dehydration and when to return.',
  'Operative note. Procedure: laparoscopic cholecystectomy. Indication: symptomatic cholelithiasis with two episodes of biliary colic. Anesthesia: general endotracheal. Findings: distended gallbladder with multiple stones, mild chronic inflammation, no choledocholithiasis on intraoperative cholangiogram. The critical view of safety was obtained before the cystic duct and artery were clipped and divided. Estimated blood loss 20 mL. No complications. The patient was extubated in the operating room and taken to recovery in stable condition. Plan: same-day discharge, acetaminophen and ibuprofen for pain, no lifting over 10 pounds for two weeks.',
  'Psychiatry consult. Asked to evaluate a 33-year-old woman on the medical ward after an intentional overdose of about twenty 500 mg acetaminophen tablets. The four-hour level was above the treatment line and N-acetylcysteine was started in the emergency department. She describes low mood, poor sleep and loss of interest for three months since losing her job, and denies current suicidal intent but cannot commit to safety at home. No prior attempts; drinks two to three glasses of wine nightly. Impression: major depressive disorder, single episode, severe, without psychotic features. Recommendations: continue 1:1 observation, start sertraline 50 mg daily once liver tests improve, transfer to inpatient psychiatry when medically cleared.',
  'Clinic note, nephrology. 66-year-old man with chronic kidney disease stage 4 from diabetic nephropathy. eGFR 22 mL/min/1.73 m2, stable over six months; urine albumin-to-creatinine ratio 850 mg/g. Potassium 5.6 on losartan 50 mg, hemoglobin 9.8 g/dL, phosphorus 5.1. He reports fatigue but no edema or dyspnea. Plan: low-potassium diet teaching, start patiromer, keep losartan; start iron studies and consider an erythropoiesis-stimulating agent; refer for arteriovenous fistula evaluation and discuss dialysis options, including home peritoneal dialysis, at the next visit.',
]

/** The texts `bench --tasks quality` compares over, and what the records call them. */
export interface QualityText {
  /** `builtin`, or the `--text` file's base name. */
  name: string
  /** Each is evaluated on its own, from an empty context. */
  texts: string[]
}

/** The built-in notes, or the UTF-8 text of `file` (one text; long ones are cut into windows by the caller). */
export async function loadQualityText(file?: string): Promise<QualityText> {
  if (file === undefined) return {name: 'builtin', texts: [...BUILTIN_CLINICAL_NOTES]}
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new InputError(`Cannot read --text ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`, {cause: error, hint: 'Pass a readable UTF-8 text file.'}, 'E_INPUT_FILE')
  }

  if (!text.trim()) throw new InputError(`--text ${file} is empty`, {hint: 'Pass a file with some clinical text in it.'}, 'E_EMPTY_TEXT')
  return {name: basename(file), texts: [text]}
}
