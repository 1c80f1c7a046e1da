// What a project that has no output yet is waiting for, in a few lines: each open step, its status
// and who holds it (or that it waits, or why its machine step failed).

export interface ProjectProgress {
  id: number | string;
  status: string;
  tasks: {
    step: string;
    status: string;
    assignments: { level: number; worker: string | null; status: string; lastError: string | null }[];
  }[];
}

export function openStepsReport(project: ProjectProgress): string {
  const open = project.tasks.filter((t) => t.status !== 'COMPLETE');
  const lines = [`Project ${project.id} is ${project.status}: it has no output yet.`];
  if (open.length === 0)
    lines.push('  Every task is complete; the steps that depend on them have not been created yet.');
  for (const t of open) {
    const holder = t.assignments.find((a) => a.status === 'PROCESSING');
    const failed = t.assignments.find((a) => a.status === 'FAILED');
    const who = holder
      ? holder.worker
        ? `held by ${holder.worker}${holder.level > 0 ? ` (reviewer, level ${holder.level})` : ''}`
        : 'a machine step running'
      : failed
        ? `failed: ${failed.lastError}`
        : t.status === 'PENDING_REVIEW'
          ? 'waiting for a reviewer'
          : 'waiting for a worker';
    lines.push(`  ${t.step}: ${t.status}, ${who}`);
  }
  return lines.join('\n');
}
