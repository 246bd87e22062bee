import { createHash } from 'node:crypto';
import type { HarborSchemas } from '../../activities/harbor';

export const REPORT_MIME = 'application/vnd.security.vulnerability.report; version=1.1';
const SEVERITIES = ['None', 'Low', 'Medium', 'High', 'Critical'] as const;
const SCANNER = { name: 'Trivy', vendor: 'Aqua Security', version: 'v0.50.0' };

/** A scan verdict derived from the digest, so tests see varied but repeatable results. */
export function simulatedScan(digest: string, start: string, end: string): { overview: HarborSchemas['ScanOverview']; report: Record<string, unknown> } {
  const seed = createHash('sha256').update(digest).digest();
  const severity = SEVERITIES[seed[0]! % SEVERITIES.length]!;
  const count = severity === 'None' ? 0 : (seed[1]! % 5) + 1;
  const reportId = createHash('sha256').update(`report:${digest}:${start}`).digest('hex').slice(0, 32);
  const vulnerabilities = Array.from({ length: count }, (_, i) => ({
    id: `CVE-2026-${1000 + seed[2 + i]!}`,
    package: `pkg-${i}`,
    version: '1.0.0',
    fix_version: '1.0.1',
    severity,
    description: 'simulated finding',
    links: [],
  }));
  const overview = {
    [REPORT_MIME]: {
      report_id: reportId,
      scan_status: 'Success',
      severity,
      duration: Math.max(1, Math.round((Date.parse(end) - Date.parse(start)) / 1000)),
      summary: { total: count, fixable: count, summary: count ? { [severity]: count } : {} },
      start_time: start,
      end_time: end,
      complete_percent: 100,
      scanner: SCANNER,
    },
  } as HarborSchemas['ScanOverview'];
  const report = { [REPORT_MIME]: { generated_at: end, scanner: SCANNER, severity, vulnerabilities } };
  return { overview, report };
}
