import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, SECRET_DETECTOR_SCHEMA, SecretDetectorConfig, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, list, message, secretLikeName, secretLikeValue, shown, str, validateWorkloads } from "../lib";

/** Credentials reach containers only through secretKeyRef (or secret volumes), never as literal env values. */
export const noSecretLiteralsInEnv: ResourceValidationPolicy = {
    name: "no-secret-literals-in-env",
    description: "Container env variables named like credentials come from secretKeyRef, never a literal value or a ConfigMap; no literal env value looks like key material.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...SECRET_DETECTOR_SCHEMA } },
    validateResource: validateWorkloads((w, args, report) => {
        const cfg = configOf<SecretDetectorConfig>(args, noSecretLiteralsInEnv.configSchema!);
        const item = CHECKLIST.secrets;
        for (const c of w.containers) {
            const env = list(get(c.container, "env"));
            if (isUnknown(env)) {
                // An unknown env list (or container) is not known to keep credentials out of
                // literal values: not known-compliant, so reported.
                report(message(w.ref, `${containerLabel(c)} env is ${UNKNOWN_TEXT}, so its credentials are not known to come from secretKeyRef`, item, `declare ${c.name}'s env in the manifest, credentials with valueFrom.secretKeyRef`));
                continue;
            }
            for (const e of env) {
                const name = str(get(e, "name"));
                const valueFrom = get(e, "valueFrom");
                const rawValue = get(e, "value");
                if (isUnknown(name)) {
                    // Which variable it is is unknown: it may be a credential set to a literal, so it
                    // is not known-compliant; reported.
                    report(message(w.ref, `${containerLabel(c)} has an env variable whose name is ${UNKNOWN_TEXT}, so it is not known to keep credentials out of literals`, item, "declare env names in the manifest, credentials with valueFrom.secretKeyRef"));
                    continue;
                }
                const varName = name ?? "";
                if (secretLikeName(varName, cfg)) {
                    if (isUnknown(valueFrom)) {
                        // Where a credential comes from is unknown: not known to be a secretKeyRef; reported.
                        report(message(w.ref, `${containerLabel(c)} ${varName} has a valueFrom ${UNKNOWN_TEXT}, so it is not known to come from secretKeyRef`, item, `read ${varName} with valueFrom.secretKeyRef, declared in the manifest`));
                        continue;
                    }
                    if (get(valueFrom, "secretKeyRef") !== undefined) {
                        // A secretKeyRef, even one whose Secret value is unknown, is what the rule asks.
                        continue;
                    }
                    const configMapRef = get(valueFrom, "configMapKeyRef");
                    if (configMapRef !== undefined) {
                        report(message(w.ref, `${containerLabel(c)} reads ${varName} from ConfigMap ${shown(get(configMapRef, "name"))}`, item, `store ${varName} in a Secret and use valueFrom.secretKeyRef`));
                    } else if (rawValue !== undefined) {
                        // An unknown value is still a literal in the pod spec: reported.
                        report(message(w.ref, `${containerLabel(c)} sets ${varName} to a literal value`, item, `store ${varName} in a Secret and use valueFrom.secretKeyRef`));
                    }
                    continue;
                }
                const value = str(rawValue);
                // An unknown literal value of a non-credential name cannot be matched against the
                // key-material patterns now; `pulumi up` runs this policy again on the resolved
                // value before the workload is applied, and checks it there.
                const why = typeof value === "string" ? secretLikeValue(value) : undefined;
                if (why) {
                    report(message(w.ref, `${containerLabel(c)} env ${varName} holds what looks like ${why}`, item, `move the value to a Secret and use valueFrom.secretKeyRef`));
                }
            }
        }
    }),
};
