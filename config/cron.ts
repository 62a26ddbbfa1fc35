// Five-field cron schedules (minute hour day-of-month month day-of-week), as Kubernetes
// CronJobs and Velero Schedules take them, plus the @hourly/@daily/@weekly/@monthly macros.
// Parsed here so that a bad schedule is a config error, and so that the backup alerts know
// how long a schedule's longest gap between two runs is.

const MACROS: Record<string, string> = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
};

const FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 7 },
];

export interface Cron {
    /** The matching values of each field, in field order (day of week 7 folded into 0). */
    sets: Set<number>[];
    /** Whether day of month and day of week were both restricted (then either matches). */
    eitherDay: boolean;
}

/** A valid schedule's longest gap between two runs in seconds (a day for one that is not: its field reports it). */
export function schedulePeriod(schedule: string): number {
    const cron = parseCron(schedule);
    return (typeof cron === "string" ? undefined : longestGapSeconds(cron)) ?? 86_400;
}

/** The schedule parsed, or the problem with it (a sentence naming the field). */
export function parseCron(schedule: string): Cron | string {
    const expanded = MACROS[schedule.trim()] ?? schedule;
    const parts = expanded.trim().split(/\s+/);
    if (parts.length !== 5) {
        return `has ${parts.length} fields; a cron schedule has 5 (minute hour day-of-month month day-of-week) or is one of ${Object.keys(MACROS).join(", ")}`;
    }
    const sets: Set<number>[] = [];
    for (const [i, part] of parts.entries()) {
        const set = parseField(part, FIELDS[i].min, FIELDS[i].max);
        if (typeof set === "string") {
            return `${FIELDS[i].name} field ${JSON.stringify(part)} ${set}`;
        }
        sets.push(set);
    }
    if (sets[4].delete(7)) {
        sets[4].add(0);
    }
    return { sets, eitherDay: parts[2] !== "*" && parts[4] !== "*" };
}

function parseField(part: string, min: number, max: number): Set<number> | string {
    const out = new Set<number>();
    for (const item of part.split(",")) {
        const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
        if (!m) {
            return "is not a number, range (a-b), list (a,b) or step (*/n)";
        }
        const from = m[1] === "*" ? min : Number(m[2]);
        const to = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
        const step = m[4] !== undefined ? Number(m[4]) : 1;
        if (from < min || to > max || from > to) {
            return `is out of range (${min}-${max})`;
        }
        if (step < 1) {
            return "has a step of 0";
        }
        for (let v = from; v <= to; v += step) {
            out.add(v);
        }
    }
    return out;
}

function dayMatches(cron: Cron, day: Date): boolean {
    const [, , dom, month, dow] = cron.sets;
    if (!month.has(day.getUTCMonth() + 1)) {
        return false;
    }
    const byDom = dom.has(day.getUTCDate());
    const byDow = dow.has(day.getUTCDay());
    return cron.eitherDay ? byDom || byDow : byDom && byDow;
}

const DAY = 86_400_000;

/**
 * The longest time between two consecutive runs, in seconds, over 400 days from a fixed
 * start (so the result does not depend on today); undefined when the schedule never runs
 * (such as 31 February).
 */
export function longestGapSeconds(cron: Cron): number | undefined {
    const [minutes, hours] = cron.sets.map((s) => [...s].sort((a, b) => a - b));
    const start = Date.UTC(2025, 0, 1);
    let previous: number | undefined;
    let gap: number | undefined;
    for (let d = start; d < start + 400 * DAY; d += DAY) {
        if (!dayMatches(cron, new Date(d))) {
            continue;
        }
        for (const h of hours) {
            for (const m of minutes) {
                const t = d + (h * 60 + m) * 60_000;
                if (previous !== undefined) {
                    gap = Math.max(gap ?? 0, t - previous);
                }
                previous = t;
            }
        }
    }
    return gap === undefined ? undefined : gap / 1000;
}
