// The mail stack's guards as plain policy objects, importable without starting a policy server
// (tests call each validateResource directly). index.ts wraps them in the PolicyPack.
import type { Policies } from "@pulumi/policy";
import { dnsNotProxied } from "./rules/dnsNotProxied";
import { firewallPorts } from "./rules/firewallPorts";
import { ourImages } from "./rules/ourImages";
import { privateDatastores } from "./rules/privateDatastores";
import { volumeProtected } from "./rules/volumeProtected";

export const policies: Policies = [dnsNotProxied, volumeProtected, firewallPorts, ourImages, privateDatastores];
