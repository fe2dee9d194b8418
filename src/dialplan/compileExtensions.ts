import type { Classify } from '../numbering/classifier.js';
import type { ClassOfService, Extension, Site } from '../policy/plan.js';
import type { Located, Problems } from './located.js';
import type { ExtensionFile } from './schema.js';

export interface ExtensionContext {
  classes: ReadonlyMap<string, ClassOfService>;
  notices: ReadonlyMap<string, unknown>;
  site: Site;
  classify: Classify;
}

/** Why an extension number cannot be used at this site, if it cannot. */
function collision(ext: string, site: Site, classify: Classify): string | undefined {
  const asDialled = classify(ext);
  if (asDialled.class === 'emergency') return `extension ${ext} collides with an emergency number`;
  if (site.outsidePrefix && ext.startsWith(site.outsidePrefix)) return `extension ${ext} starts with the outside-line prefix ${site.outsidePrefix}`;
  if (asDialled.class !== 'invalid' && asDialled.shortCode !== undefined) return `extension ${ext} collides with the public short code ${ext} (${asDialled.class})`;
  return undefined;
}

function compileOne(problems: Problems, at: Located<ExtensionFile>, { classes, notices, site, classify }: ExtensionContext): Extension | undefined {
  const e = at.value;
  const cos = classes.get(e.class);
  if (!cos) problems.at(at, ['class'], `unknown class of service "${e.class}" (have ${[...classes.keys()].join(', ')})`);
  const clash = collision(e.ext, site, classify);
  if (clash) problems.at(at, ['ext'], clash);
  if (typeof e.recorded === 'object' && !notices.has(e.recorded.notice)) problems.at(at, ['recorded', 'notice'], `unknown notice "${e.recorded.notice}"`);
  if (e.emergencyLine && !e.location) problems.at(at, ['emergencyLine'], `emergency line ${e.ext} needs a location for Security Control`, true);
  if (!cos) return undefined;
  return Object.freeze({
    ext: e.ext,
    name: e.name,
    user: e.user,
    classOfService: cos,
    role: e.emergencyLine ? { kind: 'emergency-line' as const, location: e.location ?? '' } : { kind: 'desk' as const },
    recordedNotice: typeof e.recorded === 'object' ? e.recorded.notice : e.recorded ? site.recording.defaultNotice : undefined,
    location: e.location,
    department: e.department,
    ddi: e.ddi,
    address: e.address && Object.freeze({ ...e.address }),
    where: at.file.line(at.path),
  });
}

/** The directory: extensions by number, each checked against the classes, notices and the site's numbering. */
export function compileExtensions(problems: Problems, items: Located<ExtensionFile>[], context: ExtensionContext): Map<string, Extension> {
  const byExt = new Map<string, Extension>();
  const located = new Map<string, Located<ExtensionFile>>();
  const extAt = (at: Located<ExtensionFile>) => at.file.at([...at.path, 'ext']);
  for (const at of items) {
    const first = located.get(at.value.ext);
    if (first) {
      problems.at(at, ['ext'], `extension ${at.value.ext} is defined again (first at ${extAt(first)})`);
      continue;
    }
    located.set(at.value.ext, at);
    const extension = compileOne(problems, at, context);
    if (extension) byExt.set(extension.ext, extension);
  }
  // Phones dial digit by digit: an extension that begins another could never be reached.
  const sorted = [...located.keys()].sort();
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.startsWith(a)) problems.at(located.get(b)!, ['ext'], `extension ${b} begins with extension ${a} (${extAt(located.get(a)!)})`);
  }
  return byExt;
}
