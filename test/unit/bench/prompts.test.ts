import {describe, expect, it} from 'vitest'

import {medMcqaItem, medQaItem, mmluItem, pubMedQaItem} from '../../../src/lib/bench/index.js'

// The expected strings are lm-evaluation-harness's multimedqa doc_to_text outputs, written out by hand.
describe('lm-evaluation-harness prompts', () => {
  it('MedQA: Question, lettered options, Answer:', () => {
    const item = medQaItem({line: 3, question: 'Q?', options: ['w', 'x', 'y', 'z'], answerIndex: 2})
    expect(item.context).toBe('Question: Q?\nA. w\nB. x\nC. y\nD. z\nAnswer:')
    expect(item.choices).toEqual([' A', ' B', ' C', ' D'])
    expect(item).toMatchObject({id: '3', gold: 2, labels: ['A', 'B', 'C', 'D']})
  })

  it('MedMCQA: a Choices: line before the options', () => {
    const item = medMcqaItem({line: 1, id: 'abc', question: 'Q?', options: ['w', 'x', 'y', 'z'], answerIndex: 0})
    expect(item.context).toBe('Question: Q?\nChoices:\nA. w\nB. x\nC. y\nD. z\nAnswer:')
    expect(item.id).toBe('abc')
  })

  it('PubMedQA: contexts joined by newlines, yes/no/maybe continuations', () => {
    const item = pubMedQaItem({pmid: '7', question: 'Q?', contexts: ['one.', 'two.'], decision: 'maybe'})
    expect(item.context).toBe('Abstract: one.\ntwo.\nQuestion: Q?\nAnswer:')
    expect(item.choices).toEqual([' yes', ' no', ' maybe'])
    expect(item.gold).toBe(2)
  })

  it('MMLU: the subject description, optional solved dev examples, stripped question', () => {
    const record = {line: 4, question: '  Q?  ', options: ['w', 'x', 'y', 'z'], answerIndex: 3}
    const zeroShot = mmluItem('clinical_knowledge', record)
    expect(zeroShot.context).toBe('The following are multiple choice questions (with answers) about clinical knowledge.\n\nQ?\nA. w\nB. x\nC. y\nD. z\nAnswer:')
    expect(zeroShot).toMatchObject({id: 'clinical_knowledge:4', subtask: 'clinical_knowledge', gold: 3})
    const shot = {line: 1, question: 'S?', options: ['a', 'b', 'c', 'd'], answerIndex: 1}
    expect(mmluItem('anatomy', record, [shot]).context).toBe(
      'The following are multiple choice questions (with answers) about anatomy.\n\nS?\nA. a\nB. b\nC. c\nD. d\nAnswer: B\n\nQ?\nA. w\nB. x\nC. y\nD. z\nAnswer:',
    )
  })
})
