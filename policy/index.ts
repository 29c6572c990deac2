// Entry point of the `mailstack-guards` policy pack, run by `pulumi preview|up --policy-pack
// policy`. Constructing the PolicyPack starts its gRPC server, so this file does nothing else
// and nothing imports it; the rules live in policies.ts and rules/.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("mailstack-guards", { policies });
