import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, configOf, containerLabel, message, refOf, regexes, str, validateWorkloads } from "../lib";

interface Config {
    capKeyPatterns: string[];
    minKeyBytes: number;
}

/** The sample key of AgentState's deployment guide: never a real key. */
const DOCUMENTED_SAMPLE_KEY = "dGhpc2lzYXNhbXBsZWtleWZvcmRlbW9zdHJhdGlvbnB1cnBvc2Vz";

const schema = {
    properties: {
        capKeyPatterns: {
            type: "array" as const,
            items: { type: "string" as const },
            default: ["^CAP_KEY_(?!.*_ID$)[A-Z0-9_]+$"],
            description: "Names of AgentState's HMAC capability keys (their *_ID companions are plain config).",
        },
        minKeyBytes: { type: "integer" as const, minimum: 16, default: 32, description: "Smallest decoded key length in bytes (seed 002: openssl rand -base64 32)." },
    },
};

function isCapKey(name: string, cfg: Config): boolean {
    return regexes(cfg.capKeyPatterns).some((r) => r.test(name));
}

/** Seed 002: AgentState's capability keys (CAP_KEY_ACTIVE, CAP_KEY_NEXT) live only in Secrets, generated at full length. */
export const capKeysOnlyInSecrets: ResourceValidationPolicy = {
    name: "cap-keys-only-in-secrets",
    description: "AgentState's CAP_KEY_* values live only in Secrets (never ConfigMaps, literal env or configMapKeyRef), at least 32 random bytes, never the guide's sample key.",
    enforcementLevel: "mandatory",
    configSchema: schema,
    validateResource: [
        validateResourceOfType(k8s.core.v1.ConfigMap, (props, args, report) => {
            const cfg = configOf<Config>(args, schema);
            const ref = refOf(args.type, props, args.name);
            for (const key of Object.keys(props.data ?? {})) {
                if (isCapKey(key, cfg)) {
                    report(message(ref, `holds the capability key ${key}`, CHECKLIST.secrets, `move ${key} to a Secret (agentstate-cap-keys) and keep only ${key}_ID in the ConfigMap`));
                }
            }
        }),
        validateResourceOfType(k8s.core.v1.Secret, (props, args, report) => {
            const cfg = configOf<Config>(args, schema);
            const ref = refOf(args.type, props, args.name);
            const entries: [string, unknown, boolean][] = [
                ...Object.entries((props.stringData ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v, false] as [string, unknown, boolean]),
                ...Object.entries((props.data ?? {}) as Record<string, unknown>).map(([k, v]) => [k, v, true] as [string, unknown, boolean]),
            ];
            for (const [key, raw, encoded] of entries.filter(([k]) => isCapKey(k, cfg))) {
                let value = str(raw);
                if (value === undefined) {
                    continue; // unknown during preview
                }
                if (encoded) {
                    value = Buffer.from(value, "base64").toString("utf8");
                }
                if (value === DOCUMENTED_SAMPLE_KEY) {
                    report(message(ref, `${key} is the sample key printed in the AgentState guide`, CHECKLIST.secrets, "generate a fresh key (the program's RandomBytes, or openssl rand -base64 32)"));
                    continue;
                }
                const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, "base64").length : Buffer.byteLength(value);
                if (bytes < cfg.minKeyBytes) {
                    report(message(ref, `${key} is ${bytes} bytes, shorter than ${cfg.minKeyBytes}`, CHECKLIST.secrets, `generate a key of at least ${cfg.minKeyBytes} random bytes`));
                }
            }
        }),
        validateWorkloads((w, args, report) => {
            const cfg = configOf<Config>(args, schema);
            for (const c of w.containers) {
                for (const env of (c.container.env ?? []) as any[]) {
                    const name = String(env?.name ?? "");
                    if (!isCapKey(name, cfg) || env?.valueFrom?.secretKeyRef) {
                        continue;
                    }
                    if (env?.valueFrom?.configMapKeyRef) {
                        report(message(w.ref, `${containerLabel(c)} reads capability key ${name} from ConfigMap ${env.valueFrom.configMapKeyRef.name}`, CHECKLIST.secrets, `read ${name} with valueFrom.secretKeyRef from agentstate-cap-keys`));
                    } else if (env?.value !== undefined) {
                        report(message(w.ref, `${containerLabel(c)} sets capability key ${name} to a literal value`, CHECKLIST.secrets, `read ${name} with valueFrom.secretKeyRef from agentstate-cap-keys`));
                    }
                }
            }
        }),
    ],
};
