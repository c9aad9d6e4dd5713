import type {Quant, StoreCatalogModel} from '../store/index.js'
import {adviseMachine} from './advise-machine.js'

/**
 * `--quant auto` by the hardware advisor: the tier `jsl-med hw` recommends for this machine. Returns undefined
 * (the store then takes the smallest tier) when the advisor does not know the model or the detection fails.
 */
export async function adviseQuant(model: StoreCatalogModel): Promise<{quant: Quant; reason: string} | undefined> {
  try {
    const advice = (await adviseMachine({model: model.id})).models[0]
    return advice ? {quant: advice.recommendation.quant, reason: advice.summary} : undefined
  } catch {
    return undefined // the advice is a refinement; the smallest tier is a safe default
  }
}
