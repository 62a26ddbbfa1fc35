// The m2m-platform policy pack: the production deployment checklist, the connector's and
// AgentState's security requirements and TigerBeetle's operating rules as CrossGuard
// policies. See README.md for the checklist → policy table and how to pass the config.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("m2m-platform", {
    description: "Production checklist, security and TigerBeetle operating rules for the M2M agent platform on Kubernetes",
    enforcementLevel: "mandatory",
    policies,
});
