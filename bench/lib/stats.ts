// min / median / max of repeated measurements.

export interface Stats {
    n: number;
    min: number;
    median: number;
    max: number;
    samples: number[];
}

export function stats(samples: number[]): Stats | undefined {
    const xs = samples.filter((x) => Number.isFinite(x));
    if (!xs.length) {
        return undefined;
    }
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    return { n: s.length, min: s[0], median, max: s[s.length - 1], samples: xs.map(round) };
}

export function round(x: number, digits = 3): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}
