/** Counts in words: "1 scenario", "2 scenarios", "0 policies". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
