export type RiskLevel = 'low' | 'moderate' | 'high';

/** The reference UI's bands: low < 0.33 ≤ moderate < 0.66 ≤ high. */
export const RISK_BANDS = { moderateFrom: 0.33, highFrom: 0.66 } as const;

export function riskLevel(probability: number): RiskLevel {
  if (probability < RISK_BANDS.moderateFrom) {
    return 'low';
  }
  return probability < RISK_BANDS.highFrom ? 'moderate' : 'high';
}
