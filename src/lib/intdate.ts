/** Key Vault times are IntDate: whole seconds since the Unix epoch. */
export type IntDate = number;

export function toIntDate(epochMillis: number): IntDate {
  return Math.floor(epochMillis / 1000);
}

export function nowIntDate(): IntDate {
  return toIntDate(Date.now());
}
