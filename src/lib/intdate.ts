/** Key Vault times are IntDate: whole seconds since the Unix epoch. */
export type IntDate = number;

/** 9999-12-31T23:59:59Z: the latest time Key Vault accepts in an attribute. */
export const MAX_INT_DATE: IntDate = 253402300799;

export function toIntDate(epochMillis: number): IntDate {
  return Math.floor(epochMillis / 1000);
}

export function nowIntDate(): IntDate {
  return toIntDate(Date.now());
}
