// What the benchmark ran on, recorded next to every figure: core count, memory, CPU model, kernel
// and the date, so results from different machines are never compared blind.
import { cpus, release, totalmem } from "node:os";

export interface MachineInfo {
  cores: number;
  memory_gib: number;
  cpu_model: string;
  kernel: string;
  node: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cores: c.length,
    memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    cpu_model: (c[0]?.model ?? "unknown").trim(),
    kernel: release(),
    node: process.version,
    date: new Date().toISOString(),
  };
}
