import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, UNKNOWN_TEXT, configOf, containerLabel, entries, get, isUnknown, keys, list, message, refOf, regexes, shown, str, validateWorkloads } from "../lib";

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
            const names = keys(get(props, "data"));
            if (isUnknown(names)) {
                // The whole data map is unknown during preview, keys included; `pulumi up` runs this
                // policy again on the resolved map before the ConfigMap is created.
                return args.notApplicable("the ConfigMap's data is unknown during preview; checked again by the update, before the ConfigMap is created");
            }
            // Key names are known even when values are not, and the rule is about the names.
            for (const key of names) {
                if (isCapKey(key, cfg)) {
                    report(message(ref, `holds the capability key ${key}`, CHECKLIST.secrets, `move ${key} to a Secret (agentstate-cap-keys) and keep only ${key}_ID in the ConfigMap`));
                }
            }
        }),
        validateResourceOfType(k8s.core.v1.Secret, (props, args, report) => {
            const cfg = configOf<Config>(args, schema);
            const ref = refOf(args.type, props, args.name);
            const stringData = entries(get(props, "stringData"));
            const data = entries(get(props, "data"));
            // Unknown Secret content (the program fills it from generated RandomBytes): whatever
            // it holds is in a Secret, which is what the "only in Secrets" half of the rule asks,
            // and an unknown value is no literal anywhere. Its length and whether it is the
            // guide's sample key can only be judged on the value: `pulumi up` runs this policy
            // again on the resolved data before the Secret is written, and judges it there.
            const deferred = isUnknown(stringData) || isUnknown(data);
            const kv: [string, unknown, boolean][] = [
                ...(isUnknown(stringData) ? [] : stringData.map(([k, v]) => [k, v, false] as [string, unknown, boolean])),
                ...(isUnknown(data) ? [] : data.map(([k, v]) => [k, v, true] as [string, unknown, boolean])),
            ];
            let checked = 0;
            for (const [key, raw, encoded] of kv.filter(([k]) => isCapKey(k, cfg))) {
                let value = str(raw);
                if (value === undefined || isUnknown(value)) {
                    continue; // an unknown key value: judged by the update, as above
                }
                checked++;
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
            if (deferred && checked === 0) {
                return args.notApplicable("the Secret's data is unknown during preview; key length and sample key are checked by the update, before the Secret is written");
            }
        }),
        validateWorkloads((w, args, report) => {
            const cfg = configOf<Config>(args, schema);
            for (const c of w.containers) {
                const env = list(get(c.container, "env"));
                if (isUnknown(env)) {
                    // An unknown env list may set a capability key literally: not known-compliant.
                    report(message(w.ref, `${containerLabel(c)} env is ${UNKNOWN_TEXT}, so its capability keys are not known to come from a Secret`, CHECKLIST.secrets, `declare ${c.name}'s env in the manifest, CAP_KEY_* with valueFrom.secretKeyRef`));
                    continue;
                }
                for (const e of env) {
                    const name = str(get(e, "name"));
                    if (isUnknown(name)) {
                        // An env variable whose name is unknown may be a capability key set literally.
                        report(message(w.ref, `${containerLabel(c)} has an env variable whose name is ${UNKNOWN_TEXT}, so it is not known not to be a literal capability key`, CHECKLIST.secrets, "declare env names in the manifest, CAP_KEY_* with valueFrom.secretKeyRef"));
                        continue;
                    }
                    const valueFrom = get(e, "valueFrom");
                    if (!isCapKey(name ?? "", cfg) || (!isUnknown(valueFrom) && get(valueFrom, "secretKeyRef") !== undefined)) {
                        continue;
                    }
                    const configMapRef = get(valueFrom, "configMapKeyRef");
                    if (isUnknown(valueFrom)) {
                        // Where the key comes from is unknown: not known to be a secretKeyRef; reported.
                        report(message(w.ref, `${containerLabel(c)} capability key ${name} has a valueFrom ${UNKNOWN_TEXT}, so it is not known to come from a Secret`, CHECKLIST.secrets, `read ${name} with valueFrom.secretKeyRef from agentstate-cap-keys`));
                    } else if (configMapRef !== undefined) {
                        report(message(w.ref, `${containerLabel(c)} reads capability key ${name} from ConfigMap ${shown(get(configMapRef, "name"))}`, CHECKLIST.secrets, `read ${name} with valueFrom.secretKeyRef from agentstate-cap-keys`));
                    } else if (get(e, "value") !== undefined) {
                        // An unknown value is still a literal in the pod spec: reported.
                        report(message(w.ref, `${containerLabel(c)} sets capability key ${name} to a literal value`, CHECKLIST.secrets, `read ${name} with valueFrom.secretKeyRef from agentstate-cap-keys`));
                    }
                }
            }
        }),
    ],
};
