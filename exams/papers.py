"""Drawing individual papers: pure functions of a recorded draw plan and a seed.

The plan (stored on the sitting when papers are generated) lists, per blueprint section, the pool
of approved question revisions `[question_id, revision_id, difficulty]` in a fixed order, and the
section's *difficulty composition*: how many questions of each difficulty level every paper gets.
The composition is chosen once per sitting, proportional to the pool's levels and adjusted so its
mean difficulty is within the tolerance of the target; every paper shares it, so all papers of a
sitting have the same mean difficulty (fairness by construction, not by luck).

Exposure: each difficulty level's questions are permuted once per sitting (from the sitting's
seed) and paper k takes the next block round that cycle, so within a level every question is used
floor or ceil of k*c/m times; a composition proportional to the pool keeps levels even too.
A paper is a function of (plan, draw_index, seed): an auditor can redraw any paper.
"""

import math
import random
from functools import lru_cache
from itertools import combinations

from django.utils.translation import gettext as _


def seed_for(sitting_seed: int, draw_index: int) -> int:
    return random.Random(f"{sitting_seed}:{draw_index}").getrandbits(62)


def _adjust(comp: dict[int, int], levels: dict[int, int], quotas: dict, count: int, target: float, tolerance: float):
    """Move questions between levels until the mean is within tolerance (None when impossible)."""
    comp = dict(comp)

    def gap(c):
        return sum(d * k for d, k in c.items()) - target * count

    for _step in range(5 * count + 10):
        if abs(gap(comp)) <= tolerance * count + 1e-9:
            return comp
        best = None
        for a in comp:
            if comp[a] == 0:
                continue
            for b in comp:
                if b == a or comp[b] >= levels[b]:
                    continue
                new_gap = abs(gap(comp) + b - a)
                deviation = abs(comp[a] - 1 - quotas[a]) + abs(comp[b] + 1 - quotas[b])
                key = (new_gap, deviation)
                if new_gap < abs(gap(comp)) and (best is None or key < best[0]):
                    best = (key, a, b)
        if best is None:
            return None
        _key, a, b = best
        comp[a] -= 1
        comp[b] += 1
    return None


def section_compositions(
    *, count: int, difficulties: list[int], target: float, tolerance: float
) -> list[dict[int, int]]:
    """The difficulty compositions papers take in turn: [{difficulty: how many}, ...], each within tolerance.

    The pool's proportions rarely divide evenly (4 questions from three equal levels): the
    leftover questions go to a different set of levels on each composition, and papers rotate
    through them, so every level (and so every question) is used about equally often.
    """
    levels: dict[int, int] = {}
    for d in difficulties:
        levels[d] = levels.get(d, 0) + 1
    pool = len(difficulties)
    if pool < count or count == 0:
        return []
    quotas = {d: count * m / pool for d, m in levels.items()}
    base = {d: math.floor(q) for d, q in quotas.items()}
    extra = count - sum(base.values())
    found = []
    for chosen in combinations(sorted(levels), extra):
        comp = dict(base)
        for d in chosen:
            comp[d] += 1
        if any(comp[d] > levels[d] for d in comp):
            continue
        adjusted = _adjust(comp, levels, quotas, count, target, tolerance)
        if adjusted is not None:
            found.append({d: k for d, k in sorted(adjusted.items()) if k})
    if not found:
        # No rotation stays within tolerance: fill the leftover by largest remainder, then adjust.
        comp = dict(base)
        for d in sorted(levels, key=lambda d: quotas[d] - base[d], reverse=True):
            while extra and comp[d] < levels[d]:
                comp[d] += 1
                extra -= 1
        adjusted = _adjust(comp, levels, quotas, count, target, tolerance)
        if adjusted is not None:
            found.append({d: k for d, k in sorted(adjusted.items()) if k})
    return found


def section_feasibility(
    *, title: str, count: int, difficulties: list[int], target: float, tolerance: float
) -> str | None:
    """Why a section cannot be drawn fairly from this pool, or None."""
    if len(difficulties) < count:
        return _(
            "Section “%(section)s” needs %(count)d questions but only %(pool)d approved questions match: %(short)d short."
        ) % {"section": title, "count": count, "pool": len(difficulties), "short": count - len(difficulties)}
    if not section_compositions(count=count, difficulties=difficulties, target=target, tolerance=tolerance):
        return _(
            "Section “%(section)s”: no %(count)d questions of the pool have a mean difficulty within %(tol).2f of %(target).2f."
        ) % {"section": title, "count": count, "tol": tolerance, "target": target}
    return None


@lru_cache(maxsize=256)
def _cycle(plan_seed: int, section_index: int, level: int, members: tuple[int, ...]) -> tuple[int, ...]:
    order = list(members)
    random.Random(f"{plan_seed}/{section_index}/{level}").shuffle(order)
    return tuple(order)


def draw_paper(plan: dict, draw_index: int, seed: int) -> list[tuple[int, list]]:
    """[(section_index, [question_id, revision_id, difficulty]), ...] in the order the candidate sees."""
    rng = random.Random(seed)
    drawn = []
    for s_index, section in enumerate(plan["sections"]):
        pool = section["pool"]
        compositions = section["compositions"]
        period, turn = divmod(draw_index, len(compositions))
        chosen = []
        for level_key, per_paper in compositions[turn].items():
            level = int(level_key)
            members = tuple(i for i, row in enumerate(pool) if row[2] == level)
            cycle = _cycle(plan["seed"], s_index, level, members)
            # Questions of this level used by the papers drawn before this one.
            used = period * sum(c.get(level_key, 0) for c in compositions) + sum(
                c.get(level_key, 0) for c in compositions[:turn]
            )
            start = used % len(cycle)
            chosen.extend(cycle[(start + j) % len(cycle)] for j in range(per_paper))
        rng.shuffle(chosen)
        drawn.extend((s_index, pool[i]) for i in chosen)
    return drawn


def shuffle_options(*, qtype: str, options: list[dict], key, seed: int, question_id: int):
    """Shuffle choice options per candidate and relabel A, B, ...; returns (options, key, map shown->bank)."""
    if qtype not in {"single", "multiple"}:
        return options, key, {}
    order = list(options)
    random.Random(f"{seed}:{question_id}").shuffle(order)
    shown, mapping = [], {}
    for index, option in enumerate(order):
        label = "ABCDEFGH"[index]
        shown.append({"label": label, "text": option["text"]})
        mapping[label] = option["label"]
    reverse = {bank: label for label, bank in mapping.items()}
    return shown, sorted(reverse[k] for k in (key or [])), mapping
