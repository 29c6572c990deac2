// The container inputs the Docker provider reads back unchanged: Go duration spellings, ports in
// the provider's read-back order, and the server identity label.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import {
  SERVER_ID_LABEL,
  dockerHealthcheck,
  dockerPortsInReadBackOrder,
  goDuration,
  publishedDockerPorts,
  serverIdentityLabel,
} from "../../components/core/containers/providerShapes";

describe("goDuration", () => {
  it("spells durations as Go's time.Duration.String() does", () => {
    // Expected values are Go's own outputs for these durations (time.Duration.String()).
    const cases: [number, string][] = [
      [0, "0s"],
      [5, "5s"],
      [30, "30s"],
      [59, "59s"],
      [60, "1m0s"],
      [90, "1m30s"],
      [3600, "1h0m0s"],
      [3661, "1h1m1s"],
      [1.5, "1.5s"],
      [0.5, "500ms"],
      [0.0015, "1.5ms"],
      [0.000002, "2µs"],
      [100e-9, "100ns"],
      [86400, "24h0m0s"],
    ];
    for (const [s, go] of cases) assert.equal(goDuration(s), go, `${s} s`);
  });

  it("refuses negative and non-finite durations", () => {
    assert.throws(() => goDuration(-1), /not a non-negative number/);
    assert.throws(() => goDuration(Number.NaN), /not a non-negative number/);
  });

  it("writes a health check whose start period reads back as 1m0s, not 60s", () => {
    const hc = dockerHealthcheck(["CMD", "true"], { intervalSeconds: 30, timeoutSeconds: 5, startPeriodSeconds: 60, retries: 3 });
    assert.deepEqual(hc, { tests: ["CMD", "true"], interval: "30s", timeout: "5s", startPeriod: "1m0s", retries: 3 });
  });
});

describe("Docker ports in read-back order", () => {
  it("sorts by internal port and puts the IPv4 binding before the IPv6 one of each port", () => {
    const ports = publishedDockerPorts([993, 143, 4190], ["::", "0.0.0.0"]);
    assert.deepEqual(
      ports.map((p) => `${p.internal}/${p.ip}`),
      ["143/0.0.0.0", "143/::", "993/0.0.0.0", "993/::", "4190/0.0.0.0", "4190/::"],
    );
    for (const p of ports) assert.equal(p.protocol, "tcp");
  });

  it("fills in the provider's defaults: no ip is 0.0.0.0, no protocol is tcp", () => {
    assert.deepEqual(dockerPortsInReadBackOrder([{ internal: 25, external: 25 }]), [{ internal: 25, external: 25, ip: "0.0.0.0", protocol: "tcp" }]);
  });

  it("orders IPv6 host addresses numerically, not as text", () => {
    const ports = dockerPortsInReadBackOrder([
      { internal: 443, external: 443, ip: "2001:db8::a" },
      { internal: 443, external: 443, ip: "2001:db8::9" },
      { internal: 443, external: 443, ip: "192.0.2.10" },
      { internal: 443, external: 443, ip: "192.0.2.9" },
    ]);
    assert.deepEqual(ports.map((p) => p.ip), ["192.0.2.9", "192.0.2.10", "2001:db8::9", "2001:db8::a"]);
  });

  it("refuses a host address that is not an IP", () => {
    assert.throws(() => publishedDockerPorts([25], ["mail.example.com", "::"]), /not an IP address/);
  });
});

describe("server identity label", () => {
  it("names the server id under one fixed label", () => {
    assert.deepEqual(serverIdentityLabel("123456"), { label: SERVER_ID_LABEL, value: "123456" });
    assert.equal(SERVER_ID_LABEL, "org.mailstack.server-id");
  });
});
