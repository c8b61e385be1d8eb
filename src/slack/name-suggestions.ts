// "Did you mean …?": the known names nearest to what was typed (prefix and substring matches first, then
// edit distance). Pure.

/** Levenshtein distance, early exit once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

export function suggestNames(query: string, candidates: readonly string[], max = 3): string[] {
  const q = query.toLowerCase();
  if (q === '') return [];
  const budget = Math.max(1, Math.floor(q.length / 3)); // short names: one typo, longer: one per three letters
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of candidates) {
    const n = name.toLowerCase();
    let score: number;
    if (n === q) score = 0;
    else if (n.startsWith(q) || q.startsWith(n)) score = 1 + Math.abs(n.length - q.length) / 100;
    else if (n.includes(q) || q.includes(n)) score = 2 + Math.abs(n.length - q.length) / 100;
    else {
      const d = editDistance(q, n, budget);
      if (d > budget) continue;
      score = 3 + d;
    }
    scored.push({ name, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}
