import type { Rate, Tariffs } from '../policy/plan.js';
import type { Located } from './located.js';
import type { RateFile, TariffsFile } from './schema.js';

const rates = (table: Record<string, RateFile> | undefined): Map<string, Rate> =>
  new Map(Object.entries(table ?? {}).map(([key, r]) => [key, Object.freeze({ perMinute: r.perMinute, perCall: r.perCall ?? 0 })]));

/** The tariff table of the monthly report (shape checked by the schema, with file:line). */
export function compileTariffs(at: Located<TariffsFile>): Tariffs {
  return Object.freeze({ currency: at.value.currency, classes: rates(at.value.classes), countries: rates(at.value.countries), where: at.file.line(at.path) });
}
