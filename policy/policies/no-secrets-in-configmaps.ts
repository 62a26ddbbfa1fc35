import * as k8s from "@pulumi/kubernetes";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { CHECKLIST, SECRET_DETECTOR_SCHEMA, SecretDetectorConfig, configOf, message, refOf, secretLikeName, secretLikeValue, str } from "../lib";

/** Seed 000/001: secrets are never committed or kept in plain config; ConfigMaps hold no credentials. */
export const noSecretsInConfigmaps: ResourceValidationPolicy = {
    name: "no-secrets-in-configmaps",
    description: "No ConfigMap key is named like a credential (KEY, SECRET, TOKEN, PASSWORD, PRIVATE...) and no ConfigMap value looks like key material.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { ...SECRET_DETECTOR_SCHEMA } },
    validateResource: validateResourceOfType(k8s.core.v1.ConfigMap, (props, args, report) => {
        const cfg = configOf<SecretDetectorConfig>(args, noSecretsInConfigmaps.configSchema!);
        const ref = refOf(args.type, props, args.name);
        const item = CHECKLIST.secrets;
        for (const field of ["data", "binaryData"] as const) {
            for (const [key, raw] of Object.entries((props[field] ?? {}) as Record<string, unknown>)) {
                if (secretLikeName(key, cfg)) {
                    report(message(ref, `${field}.${key} is named like a credential`, item, `move ${key} to a Secret and read it with secretKeyRef (or, if it is not secret, add an exemptNamePatterns entry in the policy config)`));
                    continue;
                }
                const value = str(raw);
                const why = value !== undefined && field === "data" ? secretLikeValue(value) : undefined;
                if (why) {
                    report(message(ref, `${field}.${key} holds what looks like ${why}`, item, `move the value to a Secret and reference it with secretKeyRef or a secret volume`));
                }
            }
        }
    }),
};
