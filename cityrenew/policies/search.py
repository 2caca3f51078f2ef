"""Full-text search of the policy library (政策检索), at article level, in Chinese.

Text is segmented with jieba (:func:`segment`) plus a user dictionary of the domain's words
(``data/search/userdict.txt``); the index is built on those tokens:

* SQLite: an FTS5 table ``policies_article_fts`` (columns heading, body, doc, document_id; rowid = article id);
* PostgreSQL: a table ``policies_article_fts`` with ``tsvector`` columns on the ``simple``
  configuration (heading, body, doc: the document's title/文号/issuer/region), each with a GIN index.

Both are created by migration ``0002_search_index`` and refilled by :func:`rebuild_index` (the ingest
calls it; an imported document is indexed on its own).

A query (:func:`parse_query`) is read the way a consultant types it: question words dropped,
questions for a length of time or an age rewritten (``data/search/query_words.txt``), region words
(北京, 广东 …) turned into a boost on documents of that region, every other word expanded with its
synonyms (``data/search/synonyms.txt``) into one *term group*. The index finds the articles that
match each group; an article's score is the sum of the inverse document frequencies of the groups
it matches (more of the question answered ranks first), with boosts for a hit in the heading, for
two question words standing together in the text and for the document's region, plus the engine's
own rank (FTS5 ``bm25`` / PostgreSQL ``ts_rank_cd``) to order close results.
"""

from __future__ import annotations

import html
import itertools
import logging
import math
import re
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.db import connection, transaction

DATA = Path(__file__).resolve().parent / "data" / "search"
TABLE = "policies_article_fts"
SNIPPET_CHARS = 90  # length of the text window shown around the best hit
CANDIDATES = 60  # articles re-ranked with the engine's own rank
ENGINE_DF = 1 / 3  # a word in more articles than this share is common: left out of bm25 (it adds ~nothing
# there and costs most) and not marked in snippets when the question has rarer words
DOCUMENT_MATCH = 0.5  # weight of a word found only in the document's title/issuer/region, not the article

_WORD = re.compile(r"\w+")
_lock = threading.Lock()


# --------------------------------------------------------------------------------------------------
# Segmentation


@cache
def _tokenizer():
    """One jieba tokenizer per process, with the domain dictionary; its cache file in the temp dir."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict…" on stderr
    tok = jieba.Tokenizer()
    tok.tmp_dir = tempfile.gettempdir()
    with _lock:
        tok.initialize()
        tok.load_userdict(str(DATA / "userdict.txt"))
        for line in _data_lines("synonyms.txt"):  # every synonym is one token of the index
            for w in line.split():
                if not tok.FREQ.get(w):
                    tok.add_word(w)
    return tok


def _in_dict(word: str) -> bool:
    return bool(_tokenizer().FREQ.get(word))


def words(text: str) -> list[str]:
    """The words of ``text`` (jieba precise mode), lower-cased, punctuation and spaces dropped."""
    return [w.lower() for w in _tokenizer().lcut(text) if _WORD.fullmatch(w)]


def _with_parts(word: str) -> list[str]:
    """``word`` preceded by every dictionary word inside it (search mode, all lengths)."""
    n = len(word)
    parts = []
    if n > 2:
        for size in range(2, n):
            for i in range(n - size + 1):
                part = word[i : i + size]
                if _in_dict(part):
                    parts.append(part)
    parts.append(word)
    return parts


def segment(text: str) -> str:
    """Segmented ``text`` for the index: tokens separated by spaces, search mode.

    Each word is preceded by the dictionary words inside it, so 城镇老旧小区 is indexed as
    城镇 老旧 小区 老旧小区 城镇老旧小区 and a search for 老旧小区 finds it.
    """
    out: list[str] = []
    for w in words(text):
        out.extend(_with_parts(w))
    return " ".join(out)


# --------------------------------------------------------------------------------------------------
# Data files: synonyms and how questions are read


def _data_lines(name: str):
    for raw in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Each word of ``synonyms.txt`` → its whole group (itself first)."""
    table: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("synonyms.txt"):
        group = line.split()
        for w in group:
            table[w] = (w, *[o for o in group if o != w])
    return table


@cache
def _query_words() -> tuple[list[tuple[re.Pattern, str]], frozenset[str], tuple[str, ...]]:
    rewrites: list[tuple[re.Pattern, str]] = []
    stop: set[str] = set()
    regions: list[str] = []
    part = None
    for line in _data_lines("query_words.txt"):
        if line.startswith("[") and line.endswith("]"):
            part = line[1:-1]
        elif part == "rewrite":
            pattern, _, repl = line.partition("=>")
            rewrites.append((re.compile(pattern.strip()), f" {repl.strip()} "))
        elif part == "stop":
            stop.update(line.split())
        elif part == "region":
            regions.extend(line.split())
    # longest first, so 内蒙古 is taken before a shorter name could be
    return rewrites, frozenset(stop), tuple(sorted(regions, key=len, reverse=True))


# --------------------------------------------------------------------------------------------------
# Queries


@dataclass
class Group:
    """One word of the question with its synonyms: an article matches the group if it has any."""

    word: str
    variants: tuple[str, ...]
    idf: float = 1.0  # set by search(): rare words weigh more, in the score and in the snippet
    common: bool = False  # set by search(): in more than ENGINE_DF of the articles

    def fts5(self) -> str:
        return "(" + " OR ".join(f'"{v}"' for v in self.variants) + ")"

    def tsquery(self) -> str:
        return "(" + " | ".join(f"'{v}'" for v in self.variants) + ")"


@dataclass
class Query:
    text: str
    groups: list[Group] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)  # two adjacent question words, as one string

    def __bool__(self) -> bool:
        return bool(self.groups)


def parse_query(text: str) -> Query:
    """Read a consultant's question: rewrites, stop words, regions, synonyms (see the module docstring)."""
    rewrites, stop, region_names = _query_words()
    q = Query(text=text)
    s = text.strip()
    for pattern, repl in rewrites:
        s = pattern.sub(repl, s)
    for name in region_names:
        for suffix in ("省", "市", "自治区", ""):
            if name + suffix in s:
                s = s.replace(name + suffix, " ")
                if name not in q.regions:
                    q.regions.append(name)
                break
    kept: list[str] = []
    for w in words(s):
        if w in stop or len(w) == 1 and not w.isdigit():
            continue
        kept.append(w)
    seen: set[str] = set()
    for w in kept:
        if w in seen:  # a word asked twice, or a synonym of one already asked, counts once
            continue
        variants = synonyms().get(w, (w,))
        seen.update(variants)
        q.groups.append(Group(w, tuple(dict.fromkeys(variants))))
    q.pairs = [a + b for a, b in itertools.pairwise(kept) if a != b]
    return q


# --------------------------------------------------------------------------------------------------
# The index


def _doc_tokens(doc) -> str:
    return segment(" ".join(filter(None, [doc.title, doc.number, doc.issuer, doc.region])))


def rebuild_index(documents=None) -> int:
    """(Re)index the articles of ``documents`` (every document when None); returns the rows written.

    Articles whose ``tokens`` are empty are segmented first. Rows of articles that no longer exist are
    dropped. Runs in one transaction.
    """
    from cityrenew.policies.models import Article, PolicyDocument

    docs = list(PolicyDocument.objects.all() if documents is None else documents)
    doc_ids = [d.pk for d in docs]
    articles = list(Article.objects.filter(document_id__in=doc_ids).order_by("pk"))
    missing = [a for a in articles if not a.tokens and a.text]
    for a in missing:
        a.tokens = segment(a.text)
    doc_tokens = {d.pk: _doc_tokens(d) for d in docs}
    rows = [(a.pk, a.document_id, segment(a.heading), a.tokens, doc_tokens[a.document_id]) for a in articles]
    with transaction.atomic():
        if missing:
            Article.objects.bulk_update(missing, ["tokens"], batch_size=500)
        with connection.cursor() as cur:
            if documents is None:
                cur.execute(f"DELETE FROM {TABLE}")
            if connection.vendor == "postgresql":
                cur.execute(
                    f"DELETE FROM {TABLE} WHERE document_id = ANY(%s) OR article_id NOT IN "
                    f"(SELECT id FROM policies_article)",
                    [doc_ids],
                )
                cur.executemany(
                    f"INSERT INTO {TABLE} (article_id, document_id, heading, body, doc) VALUES (%s, %s, "
                    f"to_tsvector('simple', %s), to_tsvector('simple', %s), to_tsvector('simple', %s))",
                    rows,
                )
                if documents is None:
                    cur.execute(f"ANALYZE {TABLE}")  # statistics for the planner after a full rebuild
            else:
                cur.execute(f"DELETE FROM {TABLE} WHERE rowid NOT IN (SELECT id FROM policies_article)")
                for i in range(0, len(doc_ids), 500):
                    chunk = doc_ids[i : i + 500]
                    cur.execute(f"DELETE FROM {TABLE} WHERE document_id IN ({','.join('%s' for _ in chunk)})", chunk)
                cur.executemany(
                    f"INSERT INTO {TABLE} (rowid, heading, body, doc, document_id) VALUES (%s, %s, %s, %s, %s)",
                    [(pk, heading, body, meta, doc) for pk, doc, heading, body, meta in rows],
                )
    return len(rows)


def _group_hits(cur, groups: list[Group]) -> tuple[list[tuple[set[int], set[int], set[int]]], dict[int, int]]:
    """For each group, the articles matching it: in the article (heading or body), in its heading, in
    its document's title, 文号, issuer or region; and article id → document id for every article
    (the article table is the truth: index rows of articles that are gone are ignored).

    One query, ids only: reading a text column or ranking every row of a common word costs ten
    times more."""
    parts, params = [], []
    pg = connection.vendor == "postgresql"
    for i, group in enumerate(groups):
        if pg:
            q = group.tsquery()
            for kind, where in enumerate(("body @@ to_tsquery('simple', %s) OR heading @@ to_tsquery('simple', %s)",
                                          "heading @@ to_tsquery('simple', %s)", "doc @@ to_tsquery('simple', %s)")):
                parts.append(f"SELECT {i}, {kind}, article_id, 0 FROM {TABLE} WHERE {where}")
                params += [q] * where.count("%s")
        else:
            for kind, columns in enumerate(("{heading body} : ", "heading : ", "doc : ")):
                parts.append(f"SELECT {i}, {kind}, rowid, 0 FROM {TABLE} WHERE {TABLE} MATCH %s")
                params.append(columns + group.fts5())
    parts.append("SELECT -1, 0, id, document_id FROM policies_article")
    cur.execute(" UNION ALL ".join(parts), params)
    found: list[tuple[set[int], set[int], set[int]]] = [(set(), set(), set()) for _ in groups]
    documents: dict[int, int] = {}
    for i, kind, pk, doc in cur.fetchall():
        if i < 0:
            documents[pk] = doc
        else:
            found[i][kind].add(pk)
    return found, documents


def _engine_rank(cur, query: Query, ids: list[int]) -> dict[int, float]:
    """The engine's own rank for ``ids``, scaled to 0‥1 (higher is better), over the less common words."""
    groups = [g for g in query.groups if not g.common]
    if not ids or not groups:
        return {}
    if connection.vendor == "postgresql":
        cur.execute(
            f"SELECT article_id, ts_rank_cd(setweight(heading, 'A') || body, to_tsquery('simple', %s), 32)"
            f" FROM {TABLE} WHERE article_id = ANY(%s)",
            [" | ".join(g.tsquery() for g in groups), ids],
        )
        ranks = {pk: float(r) for pk, r in cur.fetchall()}
    else:
        placeholders = ",".join("%s" for _ in ids)
        cur.execute(
            f"SELECT rowid, bm25({TABLE}, 3.0, 1.0, 0.5) FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid IN ({placeholders})",
            [" OR ".join(g.fts5() for g in groups), *ids],
        )
        ranks = {pk: -float(r) for pk, r in cur.fetchall()}  # bm25: more negative is better
    top = max(ranks.values(), default=0.0) or 1.0
    return {pk: r / top for pk, r in ranks.items()}


# --------------------------------------------------------------------------------------------------
# Search


@dataclass
class Hit:
    article: object  # Article, with document loaded
    score: float
    snippet: list[tuple[str, bool]]  # (text, is_hit) pieces

    def snippet_html(self) -> str:
        return "".join(f"<mark>{html.escape(t)}</mark>" if hit else html.escape(t) for t, hit in self.snippet)

    def snippet_text(self, marks: tuple[str, str] = ("【", "】")) -> str:
        return "".join(f"{marks[0]}{t}{marks[1]}" if hit else t for t, hit in self.snippet)

    def as_dict(self, marks: tuple[str, str] = ("【", "】")) -> dict:
        a = self.article
        return {
            "doc": a.document.title,
            "doc_key": a.document.key,
            "doc_number": a.document.number,
            "article": a.ref,
            "heading": a.heading,
            "snippet": self.snippet_text(marks),
            "score": round(self.score, 3),
        }


def _document_filter(filters: dict):
    from cityrenew.policies.models import PolicyDocument

    qs = PolicyDocument.objects.all()
    if filters.get("issuer"):
        qs = qs.filter(issuer__icontains=filters["issuer"])
    if filters.get("level"):
        qs = qs.filter(level=filters["level"])
    if filters.get("year"):
        qs = qs.filter(issued__year=int(filters["year"]))
    if filters.get("status"):  # as of today, as the list shows it (dates and 替代关系 overrule the stored one)
        from cityrenew.policies.status import with_current_status

        qs = with_current_status(qs).filter(current_status=filters["status"])
    if filters.get("region"):
        qs = qs.filter(region__icontains=filters["region"])
    if filters.get("document"):
        qs = qs.filter(key=filters["document"])
    return qs


def search(text: str, top: int = 10, **filters) -> list[Hit]:
    """Articles answering ``text``, best first (at most ``top``); filters: issuer, level, year, status, region.

    ``issuer`` and ``region`` match part of the document's field; ``level`` and ``status`` are
    :class:`~cityrenew.policies.models.Level` / :class:`~cityrenew.policies.models.Status` values.
    """
    from cityrenew.policies.models import Article

    query = parse_query(text)
    if not query:
        return []
    filtered = any(filters.get(k) for k in ("issuer", "level", "year", "status", "region", "document"))
    with connection.cursor() as cur:
        found_by_group, all_docs = _group_hits(cur, query.groups)
        hits = [(g, *found) for g, found in zip(query.groups, found_by_group, strict=True)]
        total = len(all_docs) or 1
        found: set[int] = set().union(*(h[1] | h[3] for h in hits))
        doc_of = {pk: all_docs[pk] for pk in found if pk in all_docs}
        if filtered:
            allowed = set(_document_filter(filters).values_list("pk", flat=True))
            doc_of = {pk: d for pk, d in doc_of.items() if d in allowed}
        if not doc_of:
            return []
        region_docs = _region_documents(query.regions)
        scores: dict[int, float] = {}
        best_idf = 0.0
        for g, in_text, in_heading, in_doc in hits:
            df = len(in_text)
            idf = g.idf = math.log(1 + total / (1 + df))
            g.common = df > ENGINE_DF * total
            best_idf = max(best_idf, idf)
            for pk in in_text | in_doc:
                if pk not in doc_of:
                    continue
                if pk in in_text:
                    gain = idf * (1.3 if pk in in_heading else 1.0)
                else:  # only the document's title, 文号, issuer or region has the word
                    gain = idf * DOCUMENT_MATCH
                scores[pk] = scores.get(pk, 0.0) + gain
        for pk in scores:
            if doc_of[pk] in region_docs:
                scores[pk] += best_idf
        ranked = sorted(scores, key=lambda pk: (-scores[pk], pk))[:CANDIDATES]
        engine = _engine_rank(cur, query, ranked)
    articles = Article.objects.select_related("document").order_by().in_bulk(ranked)
    ranked = [pk for pk in ranked if pk in articles]
    for pk in ranked:
        a = articles[pk]
        for pair in query.pairs:
            if pair in a.text or pair in a.heading:
                scores[pk] += 0.5
        scores[pk] += engine.get(pk, 0.0)
    ranked.sort(key=lambda pk: (-scores[pk], pk))
    return [Hit(articles[pk], scores[pk], make_snippet(articles[pk].text, query)) for pk in ranked[:top]]


def _region_documents(regions: list[str]) -> set[int]:
    """Documents of the regions a question names (their region, title or issuer names it)."""
    if not regions:
        return set()
    from django.db.models import Q

    from cityrenew.policies.models import PolicyDocument

    cond = Q()
    for r in regions:
        cond |= Q(region__contains=r) | Q(title__contains=r) | Q(issuer__contains=r)
    return set(PolicyDocument.objects.filter(cond).values_list("pk", flat=True))


def make_snippet(text: str, query: Query, width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
    """The window of ``text`` with the most (and rarest) distinct query words, as (text, is_hit) pieces."""
    # a word found in most articles (城市, 更新) is not marked when the question has rarer ones
    groups = [g for g in query.groups if not g.common] or query.groups
    terms = sorted({v for g in groups for v in g.variants if v}, key=len, reverse=True)
    spans: list[tuple[int, int, str]] = []  # start, end, group word
    owner = {v: g.word for g in groups for v in g.variants}
    weight = {g.word: g.idf for g in groups}
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        spans = [(m.start(), m.end(), owner.get(m.group(0), m.group(0).lower())) for m in pattern.finditer(text)]
    start = 0
    if spans:
        best = (-1.0, 0, 0)  # value, window start, end of its last hit
        for s, _e, _w in spans:
            inside = [(e2, w) for s2, e2, w in spans if s <= s2 and e2 <= s + width * 3 // 4]
            value = sum(weight.get(w, 1.0) for w in {w for _e2, w in inside})
            if value > best[0]:
                best = (value, s, max(e2 for e2, _w in inside))
        _value, first, last = best
        lead = max(0, min(width // 4, width - (last - first)))  # context before the first hit
        start = max(0, first - lead)
        # start after a sentence or clause boundary inside the lead when there is one
        cut = max(text.rfind(p, start, first) for p in "。；，：\n")
        if cut >= 0:
            start = cut + 1
    end = min(len(text), start + width)
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append(("…", False))
    pos = start
    for s, e, _w in spans:
        if s < pos or e > end:
            continue
        if s > pos:
            pieces.append((text[pos:s], False))
        pieces.append((text[s:e], True))
        pos = e
    if pos < end:
        pieces.append((text[pos:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return [(t.replace("\n", " "), hit) for t, hit in pieces]
