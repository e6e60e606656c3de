/** The time source of the shipper (backoff, report times); tests replace it to simulate minutes in milliseconds. */
export class ShippingClock {
  now(): number {
    return Date.now();
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
