import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, SECRET_DETECTOR_SCHEMA, SecretDetectorConfig, configOf, entries, get, isUnknown, message, refOf, secretLikeName, secretLikeValue, str } from "../lib";

/** Seed 000/001: secrets are never committed or kept in plain config; ConfigMaps hold no credentials. */
export const noSecretsInConfigmaps: ResourceValidationPolicy = {
    name: "no-secrets-in-configmaps",
    description: "No ConfigMap key is named like a credential (KEY, SECRET, TOKEN, PASSWORD, PRIVATE...) and no ConfigMap value looks like key material.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...SECRET_DETECTOR_SCHEMA } },
    validateResource: validateResourceOfType(k8s.core.v1.ConfigMap, (props, args, reportViolation) => {
        const cfg = configOf<SecretDetectorConfig>(args, noSecretsInConfigmaps.configSchema!);
        const ref = refOf(args.type, props, args.name);
        const item = CHECKLIST.secrets;
        let deferred = false;
        let reported = 0;
        const report = (m: string) => {
            reported++;
            reportViolation(m);
        };
        for (const field of ["data", "binaryData"] as const) {
            const es = entries(get(props, field));
            if (isUnknown(es)) {
                // The whole map is unknown during preview: neither its keys nor its values can be
                // read. Nothing is written in a preview; `pulumi up` runs this policy again on the
                // resolved map before the ConfigMap is created, so the check is made there.
                deferred = true;
                continue;
            }
            for (const [key, raw] of es) {
                // The key names are known even when values are not: the name check always runs.
                if (secretLikeName(key, cfg)) {
                    report(message(ref, `${field}.${key} is named like a credential`, item, `move ${key} to a Secret and read it with secretKeyRef (or, if it is not secret, add an exemptNamePatterns entry in the policy config)`));
                    continue;
                }
                const value = str(raw);
                // An unknown value (derived from another resource's output, e.g. a generated
                // cluster ID) cannot be matched against the key-material patterns now; the update
                // re-runs this policy with the value before the ConfigMap is created.
                const why = typeof value === "string" && field === "data" ? secretLikeValue(value) : undefined;
                if (why) {
                    report(message(ref, `${field}.${key} holds what looks like ${why}`, item, `move the value to a Secret and reference it with secretKeyRef or a secret volume`));
                }
            }
        }
        if (deferred && reported === 0) {
            return args.notApplicable("the ConfigMap's data is unknown during preview; checked again by the update, before the ConfigMap is created");
        }
    }),
};
