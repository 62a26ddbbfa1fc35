// Collects the engine's events during a preview, up, destroy, refresh or drift check and
// renders the Markdown summary reviewers read: changes by tier, drift, policy violations,
// failures and endpoints.
import type { EngineEvent, OutputMap, StepEventMetadata } from "@pulumi/pulumi/automation";

export interface Change {
    op: string;
    type: string;
    name: string;
}

export interface Violation {
    policy: string;
    level: "mandatory" | "warning";
    message: string;
    resource?: string;
}

/** An object the cluster holds differently from the stack's state: changed or deleted outside Pulumi. */
export interface Drift {
    urn: string;
    type: string;
    name: string;
    /** `update`: its properties differ; `delete`: it is gone. */
    op: "update" | "delete";
    /** The property paths that differ, each with how (`changed`, `added`, `removed`); never values. */
    properties: string[];
}

/** The driver's exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2, drift: 3 } as const;

const NO_CHANGE = new Set(["same", "read", "refresh"]);
/** Operations whose engine events report drift: a refresh, and the drift check (a refresh preview). */
const REFRESHES = new Set(["refresh", "drift"]);
/** How an inverted refresh diff reads: from the state to what the cluster holds. */
const DIFF_WORDS: Record<string, string> = {
    add: "added",
    "add-replace": "added, would replace",
    delete: "removed",
    "delete-replace": "removed, would replace",
    update: "changed",
    "update-replace": "changed, would replace",
};
/** How the engine's events carry a value that is not known until apply. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const TIER_PREFIX = "m2m:platform:";

/** The tier a resource belongs to: the outermost platform component in its URN's type chain. */
export function tierOf(urn: string): string {
    const typeChain = urn.split("::")[2] ?? "";
    const tier = typeChain.split("$").find((t) => t.startsWith(TIER_PREFIX));
    return tier ? tier.slice(TIER_PREFIX.length) : "stack";
}

export class RunSummary {
    readonly changes = new Map<string, Change[]>();
    readonly violations: Violation[] = [];
    readonly errors: string[] = [];
    /** Refresh and drift check: what differs outside Pulumi, by URN. */
    readonly drift = new Map<string, Drift>();
    totals: Record<string, number> = {};
    /**
     * The outputs this run computed for the stack, as the engine's events carry them
     * (secrets as "[secret]"; in a preview, values not known until apply as the unknown
     * sentinel). A preview's summary shows these, not the last update's.
     */
    stackOutputs?: Record<string, unknown>;

    constructor(
        private readonly operation: string,
        private readonly stack: string,
    ) {}

    onEvent(event: EngineEvent): void {
        const pre = event.resourcePreEvent?.metadata;
        if (pre && !NO_CHANGE.has(pre.op)) {
            const tier = tierOf(pre.urn);
            const list = this.changes.get(tier) ?? [];
            list.push({ op: pre.op, type: pre.type, name: pre.urn.split("::").pop() ?? pre.urn });
            this.changes.set(tier, list);
        }
        const policy = event.policyEvent;
        if (policy) {
            this.violations.push({
                policy: policy.policyName,
                level: policy.enforcementLevel,
                message: policy.message.trim(),
                resource: policy.resourceUrn,
            });
        }
        const diag = event.diagnosticEvent;
        if (diag && diag.severity === "error") {
            this.errors.push(diag.message.trim());
        }
        const stackOutputs = event.resOutputsEvent?.metadata;
        if (stackOutputs?.type === "pulumi:pulumi:Stack" && stackOutputs.new) {
            this.stackOutputs = stackOutputs.new.outputs ?? {};
        }
        // A refresh reports each resource once it is read, with what it found: `update` when
        // the object differs from the state, `delete` when it is gone.
        if (stackOutputs && REFRESHES.has(this.operation) && (stackOutputs.op === "update" || stackOutputs.op === "delete")) {
            this.drift.set(stackOutputs.urn, {
                urn: stackOutputs.urn,
                type: stackOutputs.type,
                name: stackOutputs.urn.split("::").pop() ?? stackOutputs.urn,
                op: stackOutputs.op,
                properties: stackOutputs.op === "delete" ? [] : driftedProperties(stackOutputs),
            });
        }
        if (event.summaryEvent) {
            this.totals = { ...event.summaryEvent.resourceChanges } as Record<string, number>;
        }
    }

    /** The preview's own outputs as an OutputMap: secrets hidden, unknown values named as such. */
    previewOutputs(): OutputMap {
        const shown = (v: unknown): unknown =>
            v === UNKNOWN ? "(known after apply)" : Array.isArray(v) ? v.map(shown) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shown(x)])) : v;
        return Object.fromEntries(
            Object.entries(this.stackOutputs ?? {}).map(([k, v]) => [k, v === "[secret]" ? { value: undefined, secret: true } : { value: shown(v), secret: false }]),
        );
    }

    get mandatoryViolations(): Violation[] {
        return this.violations.filter((v) => v.level === "mandatory");
    }

    /** Whether the run must fail CI: mandatory violations or engine errors. */
    get failed(): boolean {
        return this.mandatoryViolations.length > 0 || this.errors.length > 0;
    }

    /** 1 on a failure; for a drift check, 3 when something changed outside Pulumi. */
    get exitCode(): number {
        if (this.failed) {
            return EXIT.failed;
        }
        return this.operation === "drift" && this.drift.size > 0 ? EXIT.drift : EXIT.ok;
    }

    /** The Drift section: every object changed outside Pulumi and which properties differ. */
    private renderDrift(): string[] {
        const lines = ["### Drift", ""];
        if (this.drift.size === 0) {
            lines.push(this.failed ? "Not known: the check did not complete (see Errors)." : "None: every object matches the stack's state.", "");
            return lines;
        }
        const verb = this.operation === "drift" ? "differ" : "differed (the refresh took them into the state)";
        lines.push(`${this.drift.size} object${this.drift.size === 1 ? "" : "s"} ${verb} from the stack's state, changed outside Pulumi:`, "");
        lines.push("| resource | type | drift | properties | URN |", "| --- | --- | --- | --- | --- |");
        for (const d of [...this.drift.values()].sort((a, b) => a.urn.localeCompare(b.urn))) {
            const what = d.op === "delete" ? "deleted" : "changed";
            const props = d.properties.length ? d.properties.map((p) => `\`${escape(p)}\``).join(", ") : d.op === "delete" ? "(the object is gone)" : "(not reported by the provider)";
            lines.push(`| \`${d.name}\` | \`${d.type}\` | ${what} | ${props} | \`${d.urn}\` |`);
        }
        lines.push("");
        return lines;
    }

    private renderViolations(): string[] {
        if (this.violations.length === 0) {
            return ["### Policy violations", "", "None.", ""];
        }
        const lines = ["### Policy violations", "", "| level | policy | resource | message |", "| --- | --- | --- | --- |"];
        for (const v of [...this.mandatoryViolations, ...this.violations.filter((x) => x.level !== "mandatory")]) {
            lines.push(`| ${v.level} | \`${v.policy}\` | ${v.resource ? `\`${v.resource.split("::").pop()}\`` : "stack"} | ${escape(v.message)} |`);
        }
        lines.push("");
        return lines;
    }

    /** `Changes: 2 to update, 1 to create.`, or `No changes.` */
    changesLine(): string {
        const totals = Object.entries(this.totals).filter(([op]) => !NO_CHANGE.has(op));
        return totals.length ? `Changes: ${totals.map(([op, n]) => `${n} to ${op}`).join(", ")}.` : "No changes.";
    }

    /** The run's outcome in a word: passed, failed, drift. */
    get status(): string {
        return this.failed ? "❌ failed" : this.operation === "drift" && this.drift.size > 0 ? "❌ drift" : "✅ passed";
    }

    render(outputs: OutputMap = {}): string {
        const lines: string[] = [];
        const status = this.status;
        const command = this.operation === "drift" ? "pulumi refresh --preview-only" : `pulumi ${this.operation}`;
        lines.push(`## \`${command}\` of stack \`${this.stack}\`: ${status}`, "");
        if (this.operation !== "drift") {
            lines.push(this.changesLine(), "");
        }
        if (REFRESHES.has(this.operation)) {
            lines.push(...this.renderDrift());
        }

        if (this.changes.size) {
            lines.push("### Changes by tier", "", "| tier | change | resource | type |", "| --- | --- | --- | --- |");
            for (const [tier, list] of [...this.changes].sort(([a], [b]) => a.localeCompare(b))) {
                for (const c of list) {
                    lines.push(`| ${tier} | ${c.op} | \`${c.name}\` | \`${c.type}\` |`);
                }
            }
            lines.push("");
        }

        // A drift check runs no policy pack: no section that would claim it passed one.
        if (this.operation !== "drift" || this.violations.length) {
            lines.push(...this.renderViolations());
        }

        if (this.errors.length) {
            lines.push("### Errors", "", ...this.errors.map((e) => `- ${escape(e)}`), "");
        }

        const endpoints = Object.entries(outputs);
        if (endpoints.length) {
            lines.push("### Endpoints", "", "| output | value |", "| --- | --- |");
            for (const [name, o] of endpoints) {
                lines.push(`| \`${name}\` | ${o.secret ? "*(secret)*" : `\`${JSON.stringify(o.value)}\``} |`);
            }
            lines.push("");
        }
        return lines.join("\n");
    }
}

/** The property paths that differ, with how; from the engine's detailed diff, else its changed keys. */
function driftedProperties(step: StepEventMetadata): string[] {
    const detailed = Object.entries(step.detailedDiff ?? {});
    if (detailed.length) {
        return detailed.map(([p, d]) => `${p} (${DIFF_WORDS[d.diffKind] ?? d.diffKind})`).sort();
    }
    if (step.diffs?.length) {
        return step.diffs.map((p) => `${p} (changed)`).sort();
    }
    // Outputs-only diffs (external resources, legacy refresh diffs): the top-level keys that
    // differ, compared without ever printing a value.
    const before = step.old?.outputs ?? {};
    const after = step.new?.outputs ?? {};
    return [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
        .map((k) => `${k} (${!(k in before) ? "added" : !(k in after) ? "removed" : "changed"})`)
        .sort();
}

function escape(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** One stack of an installation's run: its summary and outputs, or why it did not run. */
export interface StackRun {
    stack: string;
    /** `platform`, or the tenant a tenant stack holds. */
    tenant?: string;
    summary: RunSummary;
    outputs: OutputMap;
    /** Not run, and why. */
    skipped?: string;
}

/** The exit code of an installation's run: 1 when any stack failed or was not run, 3 for drift alone, else 0. */
export function installationExitCode(runs: StackRun[]): number {
    if (runs.some((r) => r.skipped || r.summary.exitCode === EXIT.failed)) {
        return EXIT.failed;
    }
    return runs.some((r) => r.summary.exitCode === EXIT.drift) ? EXIT.drift : EXIT.ok;
}

/**
 * The one Markdown summary of a platform stack and its tenant stacks: a table of every
 * stack's outcome, then each stack's own section (changes, violations, errors, endpoints).
 */
export function renderInstallation(operation: string, platform: string, runs: StackRun[]): string {
    const failed = runs.filter((r) => r.skipped || r.summary.failed);
    const command = operation === "drift" ? "pulumi refresh --preview-only" : `pulumi ${operation}`;
    const status = failed.length ? `❌ ${failed.length} of ${runs.length} failed or not run` : `✅ all ${runs.length} passed`;
    const lines = [`# \`${command}\` of platform stack \`${platform}\` and its tenant stacks: ${status}`, ""];
    lines.push("| stack | holds | result | changes |", "| --- | --- | --- | --- |");
    for (const r of runs) {
        const holds = r.tenant ? `tenant \`${r.tenant}\`` : "platform";
        const result = r.skipped ? "⏭ not run" : r.summary.status;
        const changes = r.skipped ? escape(r.skipped) : operation === "drift" ? `${r.summary.drift.size} drifted` : r.summary.changesLine();
        lines.push(`| \`${r.stack}\` | ${holds} | ${result} | ${changes} |`);
    }
    lines.push("");
    for (const r of runs) {
        if (r.skipped) {
            lines.push(`## \`${command}\` of stack \`${r.stack}\`: ⏭ not run`, "", `${r.skipped}.`, "");
        } else {
            lines.push(r.summary.render(r.outputs));
        }
    }
    return lines.join("\n");
}
