// Renders a doctor report as JSON (schema: schemas/doctor-report.schema.json); facts are already redacted by their collectors.
import type { DoctorReport } from '../doctor/report-types.js';

export function renderJson(report: DoctorReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
