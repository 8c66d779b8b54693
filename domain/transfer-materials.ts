import { z } from 'zod';

/**
 * What a criminal transfer hands over (《行政执法机关移送涉嫌犯罪案件的规定》 国务院令第310号 art. 6).
 * The first three are always required; an inspection report or expert opinion when there is one.
 */
export const transferMaterialNames = {
  'transfer-letter': '涉嫌犯罪案件移送书',
  'investigation-report': '涉嫌犯罪案件情况的调查报告',
  'evidence-list': '涉案物品清单',
  'expert-opinion': '有关检验报告或者鉴定结论',
  other: '其他有关涉嫌犯罪的材料',
} as const;
export type TransferMaterial = keyof typeof transferMaterialNames;
export const transferMaterialSchema = z.enum(Object.keys(transferMaterialNames) as [TransferMaterial, ...TransferMaterial[]]);
/** Required with every hand-over (art. 6 items 1–3). */
export const requiredTransferMaterials: TransferMaterial[] = ['transfer-letter', 'investigation-report', 'evidence-list'];
