import { ResourceValidationPolicy } from "@pulumi/policy";
import { CHECKLIST, SECRET_DETECTOR_SCHEMA, SecretDetectorConfig, configOf, containerLabel, message, secretLikeName, secretLikeValue, str, validateWorkloads } from "../lib";

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
            for (const env of (c.container.env ?? []) as any[]) {
                const name = String(env?.name ?? "");
                const value = str(env?.value);
                if (secretLikeName(name, cfg)) {
                    if (env?.valueFrom?.secretKeyRef) {
                        continue;
                    }
                    if (env?.valueFrom?.configMapKeyRef) {
                        report(message(w.ref, `${containerLabel(c)} reads ${name} from ConfigMap ${env.valueFrom.configMapKeyRef.name}`, item, `store ${name} in a Secret and use valueFrom.secretKeyRef`));
                    } else if (env?.value !== undefined) {
                        report(message(w.ref, `${containerLabel(c)} sets ${name} to a literal value`, item, `store ${name} in a Secret and use valueFrom.secretKeyRef`));
                    }
                    continue;
                }
                const why = value !== undefined ? secretLikeValue(value) : undefined;
                if (why) {
                    report(message(w.ref, `${containerLabel(c)} env ${name} holds what looks like ${why}`, item, `move the value to a Secret and use valueFrom.secretKeyRef`));
                }
            }
        }
    }),
};
