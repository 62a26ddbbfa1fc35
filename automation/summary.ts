// Collects the engine's events during a preview, up or destroy and renders the Markdown
// summary reviewers read: changes by tier, policy violations, failures and endpoints.
import type { EngineEvent, OutputMap } from "@pulumi/pulumi/automation";

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

const NO_CHANGE = new Set(["same", "read", "refresh"]);
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

    render(outputs: OutputMap = {}): string {
        const lines: string[] = [];
        const status = this.failed ? "❌ failed" : "✅ passed";
        lines.push(`## \`pulumi ${this.operation}\` of stack \`${this.stack}\`: ${status}`, "");
        const totals = Object.entries(this.totals).filter(([op]) => !NO_CHANGE.has(op));
        lines.push(totals.length ? `Changes: ${totals.map(([op, n]) => `${n} to ${op}`).join(", ")}.` : "No changes.", "");

        if (this.changes.size) {
            lines.push("### Changes by tier", "", "| tier | change | resource | type |", "| --- | --- | --- | --- |");
            for (const [tier, list] of [...this.changes].sort(([a], [b]) => a.localeCompare(b))) {
                for (const c of list) {
                    lines.push(`| ${tier} | ${c.op} | \`${c.name}\` | \`${c.type}\` |`);
                }
            }
            lines.push("");
        }

        lines.push("### Policy violations", "");
        if (this.violations.length === 0) {
            lines.push("None.", "");
        } else {
            lines.push("| level | policy | resource | message |", "| --- | --- | --- | --- |");
            for (const v of [...this.mandatoryViolations, ...this.violations.filter((x) => x.level !== "mandatory")]) {
                lines.push(`| ${v.level} | \`${v.policy}\` | ${v.resource ? `\`${v.resource.split("::").pop()}\`` : "stack"} | ${escape(v.message)} |`);
            }
            lines.push("");
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

function escape(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}
