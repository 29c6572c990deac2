// The local stack's guard table in this machine's nftables (components/core/host/hostFirewall.ts):
// containers of the instance never reach the metadata address, and its networks never reach each
// other through the host, which podman's netavark would otherwise route. The VM loads the same
// rules at boot (mailstack-guard.service). nft runs from our fail2ban image, in the host's network
// namespace with NET_ADMIN, the nft that also writes the ban table: an older nft on the host
// (Debian 12's 1.0.6) crashes on the sets a newer one made, so one nft touches both tables. Knows
// nothing about mail.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { guardRuleset, hostTableName } from "../../components/core/host/hostFirewall";
import type { Topology } from "../../components/core/topology";
import { demuxText } from "./containers";
import { SERVICE_LABEL } from "../../components/core/containers/containerSpecs";

/** Runs `nft <args>` in the host's network namespace from `image`; returns its exit code and output. */
export async function hostNft(docker: Docker, image: string, args: string[], binds: string[] = []): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: ["nft"],
    Cmd: args,
    HostConfig: { NetworkMode: "host", CapAdd: ["CAP_NET_ADMIN"], Binds: binds },
    Labels: { [SERVICE_LABEL]: "check" },
  });
  try {
    await c.start();
    const res = (await c.wait()) as { StatusCode: number };
    const output = demuxText((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    return { code: res.StatusCode, output };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

export async function ensureGuard(docker: Docker, image: string, topo: Topology, runDir: string): Promise<void> {
  const file = join(runDir, "guard.nft");
  writeFileSync(file, guardRuleset(topo));
  const r = await hostNft(docker, image, ["-f", "/guard.nft"], [`${file}:/guard.nft:ro`]);
  if (r.code !== 0) throw new Error(`loading the container guard (nft -f ${file}) failed:\n${r.output.trim()}`);
}

export async function removeGuard(docker: Docker, image: string, topo: Pick<Topology, "namePrefix">): Promise<void> {
  await hostNft(docker, image, ["delete", "table", "inet", hostTableName(topo, "guard")]);
}
