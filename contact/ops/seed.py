"""A seeded synthetic inquiry log: thousands of plausible inquiries over several months, for tests and demos.

``scripts/seed-log OUT.sqlite3 [--seed N] [--start DATE] [--end DATE]`` writes one; the same seed
gives the same log, byte for byte in content, so tests know what the analysis must find:

* everyday questions about real entries of the shipped knowledge base (住民票, 転入届, ごみ …) on every
  channel, ward and weekday, with ratings on web answers;
* five planted **knowledge gaps** the base cannot answer (市営プール, 駐輪場, 街灯, 期日前投票, and the
  rising topic below) and one **low-confidence** cluster (マイナンバーカードの写真);
* a planted **rising topic**: a new 物価高騰対策給付金 asked about only in the last three weeks
  (6, 24, then 72 inquiries a week);
* opinions, complaints, proposals and thanks (声の種類), mostly by phone, mail and visits.

:func:`generate` returns the rows and a :class:`Manifest` of what was planted and counted;
:func:`write` stores them through :func:`contact.store.inquiry_log.prepare_inquiry` like live inquiries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contact.config import TOKYO
from contact.logs import configure
from contact.store.inquiry_log import connect, migrate, prepare_inquiry

WARD_WEIGHTS = {"川崎区": 14, "幸区": 11, "中原区": 17, "高津区": 15, "宮前区": 15, "多摩区": 14, "麻生区": 12}
CHANNEL_WEIGHTS = {"web": 52, "phone": 26, "visit": 10, "mail": 6, "chat": 4, "fax": 2}
DAILY = (46, 40, 38, 38, 42, 16, 10)
"""Regular inquiries on a Monday … Sunday, ±15 %."""
OPERATORS = tuple(f"op-{n:02d}" for n in range(1, 9))


@dataclass(frozen=True)
class Topic:
    entry_id: str
    title: str
    category: str
    weight: int
    questions: tuple[str, ...]
    helpful: float = 0.85


TOPICS: tuple[Topic, ...] = (
    Topic("juminhyo", "住民票の写しの交付", "住民票・証明", 10, (
        "住民票の写しはどこで取れますか", "住民票をコンビニで取りたい", "{ward}役所で住民票をもらえますか",
        "住民票の手数料はいくらですか", "住民票を代理人が取るには何が必要ですか")),
    Topic("tennyu", "転入届（市外から川崎市へ引っ越したとき）", "転入・転出・転居", 7, (
        "転入届はいつまでに出せばいいですか", "他の市から引っ越してきました。転入の手続きを教えてください",
        "転入届に必要な書類は何ですか", "土曜日に転入届は出せますか")),
    Topic("tenshutsu", "転出届（川崎市から市外へ引っ越すとき）", "転入・転出・転居", 4, (
        "転出届はどこに出せばいいですか", "市外に引っ越すときの手続きを知りたい", "転出届は郵送でもできますか")),
    Topic("tenkyo", "転居届（川崎市内で引っ越したとき）", "転入・転出・転居", 3, (
        "市内で引っ越したときの届け出はどうすればいいですか", "転居届の期限はいつまでですか")),
    Topic("inkan-toroku", "印鑑登録", "印鑑登録", 4, (
        "印鑑登録の方法を教えてください", "ハンコの登録はどこでできますか", "印鑑登録に必要なものは何ですか")),
    Topic("inkan-shomei", "印鑑登録証明書の交付", "印鑑登録", 3, (
        "印鑑証明書はコンビニで取れますか", "印鑑証明の手数料はいくら")),
    Topic("mynumber-apply", "マイナンバーカードの申請", "マイナンバー", 4, (
        "マイナンバーカードの申請方法を教えて", "マイナンバーカードを作りたいのですが")),
    Topic("mynumber-pin-reset", "マイナンバーカードの暗証番号の再設定", "マイナンバー", 2, (
        "マイナンバーカードの暗証番号を忘れました", "暗証番号の再設定はどこでできますか")),
    Topic("mynumber-renewal", "マイナンバーカード・電子証明書の更新", "マイナンバー", 2, (
        "電子証明書の更新はどこでできますか", "マイナンバーカードの更新通知が届きました")),
    Topic("koseki-shomei", "戸籍証明書（戸籍謄本・抄本）の交付", "住民票・証明", 4, (
        "戸籍謄本はどこで取れますか", "戸籍抄本を郵送で請求したい")),
    Topic("shussei", "出生届", "戸籍の届出", 2, ("出生届はどこに出せばいいですか", "出生届の期限は何日以内ですか")),
    Topic("konin", "婚姻届", "戸籍の届出", 2, (
        "婚姻届は休日も受け付けていますか", "婚姻届に必要なものを教えてください")),
    Topic("kokuho-kanyu", "国民健康保険の加入", "国民健康保険・医療", 3, (
        "会社を辞めたので国民健康保険に入りたい", "国民健康保険の加入手続きはどこでしますか")),
    Topic("kokuho-hokenryo", "国民健康保険料の納付", "国民健康保険・医療", 3, (
        "国民健康保険料の支払い方法を知りたい", "国保の保険料が払えないときはどうすればいいですか"), helpful=0.45),
    Topic("nenkin-menjo", "国民年金保険料の免除・納付猶予", "国民年金", 2, (
        "国民年金の免除を申請したい", "年金の保険料が払えません。免除の制度はありますか")),
    Topic("jido-teate", "児童手当", "子育て", 4, (
        "児童手当の申請方法を教えてください", "児童手当の振込日はいつですか",
        "子どもが生まれたら児童手当の手続きは必要ですか")),
    Topic("hoikuen", "保育所等の利用申請（保育園の入所）", "子育て", 3, (
        "保育園の申し込みはいつからですか", "保育園の入所の申請書はどこでもらえますか")),
    Topic("sodai-gomi", "粗大ごみの申込み", "ごみ", 5, (
        "粗大ごみの出し方を教えてください", "粗大ごみの申し込みはネットでできますか", "ソファを捨てたいのですが"),
        helpful=0.7),
    Topic("gomi-bunbetsu", "家庭ごみ・資源物の分け方と出し方", "ごみ", 5, (
        "ごみの分別方法を知りたい", "資源ごみの収集日はいつですか", "{ward}のごみの収集日を教えて")),
    Topic("kaden-recycle", "家電リサイクル対象品の処分", "ごみ", 2, (
        "エアコンを処分したいのですが", "冷蔵庫の捨て方を教えてください")),
    Topic("inu-toroku", "犬の登録", "犬・動物", 2, ("犬を飼い始めたら登録は必要ですか", "犬の登録はどこでできますか")),
    Topic("kaigo-nintei", "要介護（要支援）認定の申請", "介護・福祉", 2, (
        "介護認定の申請方法を教えてください", "親の介護保険の申請は家族でもできますか")),
    Topic("zei-shomei", "市税の証明書（課税額証明書・非課税証明書）", "市税", 3, (
        "課税証明書はどこで取れますか", "非課税証明書が必要です。どこで発行していますか")),
    Topic("faq-offices-hours", "区役所や市役所の窓口は何時から何時までですか", "庁舎・開庁時間", 4, (
        "区役所は何時まで開いていますか", "{ward}役所の受付時間を教えてください")),
    Topic("faq-offices-saturday", "区役所は土曜日も開いていますか", "庁舎・開庁時間", 3, (
        "今週の土曜日は区役所開いてますか", "土曜開庁はいつですか")),
)

CLARIFY = (
    ("証明書を取りたい", ("juminhyo", "inkan-shomei", "koseki-shomei")),
    ("引っ越しの届け", ("tennyu", "tenshutsu", "tenkyo")),
    ("マイナンバーカードのこと", ("mynumber-apply", "mynumber-pin-reset", "mynumber-renewal")),
)
SMALLTALK = ("こんにちは", "ありがとうございました")
HANDOFF = ("オペレーターと話したい", "人と話せますか")
OFF_TOPIC = ("今日の天気は", "近くでおいしいラーメン屋", "宝くじの当選番号", "株価の見通し", "カラオケの料金",
             "映画の上映時間", "占いをしてください", "終電の時間")


@dataclass(frozen=True)
class Gap:
    key: str
    """The word the cluster is about (its label contains it)."""
    questions: tuple[str, ...]
    weekly: int
    summer_weekly: int | None = None


GAPS: tuple[Gap, ...] = (
    Gap("プール", ("市営プールは何時から営業していますか", "{ward}の市民プールの料金を知りたい",
                 "プールは夏休みも営業していますか", "温水プールの利用料金はいくら",
                 "プールの営業時間を教えてください"), 1, summer_weekly=5),
    Gap("駐輪場", ("駅前の駐輪場の定期利用を申し込みたい", "駐輪場の料金はいくらですか", "駐輪場に空きはありますか",
                "{ward}の駅の駐輪場の場所を教えて"), 2),
    Gap("街灯", ("家の前の街灯が切れています", "街灯が点かないときの連絡先",
               "公園の街灯が消えたままです、連絡先を教えてください", "街灯の修理はどこに連絡すればいいですか"), 2),
    Gap("投票", ("期日前投票はどこでできますか", "投票所の場所を知りたい", "投票の時間は何時までですか",
               "入場券がなくても投票できますか"), 1),
)
BENEFIT = Gap("給付金", ("物価高騰対策の給付金はいつ振り込まれますか", "給付金の申請書が届きません",
                       "給付金の対象になるか知りたい", "物価高騰対策給付金の申請期限はいつまでですか",
                       "給付金の振込日を教えてください", "給付金の申請方法がわからない"), 0)
BENEFIT_WEEKS = (6, 24, 72)
"""Inquiries about the new benefit in the third-to-last, second-to-last and last 7 days of the log."""
LOW_CONFIDENCE = ("マイナンバーカードの写真の撮り方", "マイナンバーカードの写真のサイズは",
                  "マイナンバーカードの写真を撮り直したい")
LOW_CONFIDENCE_ENTRY = "mynumber-apply"

VOICES: dict[str, tuple[str, ...]] = {
    "苦情": ("区民課の窓口で説明が不十分で二度手間になった", "電話がつながらず何度もかけ直した",
            "職員の態度が悪く不快な思いをした", "ごみの収集が遅れて集積所が散らかっている"),
    "意見・要望": ("区役所の駐車場を広げてほしい", "手続きをもっとオンラインでできるようにしてほしい",
                "子育て支援センターを増やしてほしいです"),
    "提案": ("区役所の待ち時間をスマホで確認できるようにしてはどうでしょうか",
            "ごみの収集日を知らせるアプリがあれば便利だと思います"),
    "感謝": ("窓口の方が親切に対応してくださり助かりました", "電話で丁寧に教えていただきありがとうございました"),
}
VOICE_WEIGHTS = {"苦情": 4, "意見・要望": 4, "提案": 2, "感謝": 3}
FORWARD_TO = ("nakahara-kuyakusho-kumin", "nakahara-kuyakusho-hoken-nenkin", "kawasaki-kuyakusho-kumin",
              "saiwai-kuyakusho-hoken-nenkin", "kawasaki-kuyakusho-eisei")
"""Windows an operator forwards to (ids of the shipped base, as contact.chat.desk records them)."""


@dataclass
class Manifest:
    """What was generated: totals and breakdowns that the analysis must reproduce."""

    seed: int
    start: str
    end: str
    total: int = 0
    by_month: Counter[str] = field(default_factory=Counter)
    by_day: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_ward: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_voice_type: Counter[str] = field(default_factory=Counter)
    by_entry: Counter[str] = field(default_factory=Counter)
    gaps: Counter[str] = field(default_factory=Counter)
    """Planted gap cluster word → inquiries."""
    low_confidence: int = 0
    benefit_weekly: tuple[int, ...] = BENEFIT_WEEKS
    rated: int = 0
    helpful: int = 0
    phrasings: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: dict(v) if isinstance(v, Counter) else v for k, v in self.__dict__.items()}


class _Generator:
    def __init__(self, seed: int, start: dt.date, end: dt.date) -> None:
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        self.manifest = Manifest(seed, start.isoformat(), end.isoformat())
        self.inquiries: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.phrasings: dict[tuple[str, str], dict[str, Any]] = {}

    def _id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _when(self, day: dt.date, channel: str) -> str:
        rng = self.rng
        if channel in ("visit", "phone", "fax", "chat"):
            minutes = rng.randint(8 * 60 + 30, 20 * 60 + 30) if channel != "visit" else rng.randint(510, 1020)
        else:
            minutes = min(24 * 60 - 1, max(0, int(rng.gauss(14 * 60, 4 * 60))))
        moment = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59)), TOKYO)
        return moment.replace(microsecond=rng.randint(0, 999) * 1000).isoformat(timespec="milliseconds")

    def _ward(self, channel: str) -> str | None:
        if channel == "web" and self.rng.random() < 0.4:
            return None
        return self.rng.choices(list(WARD_WEIGHTS), weights=list(WARD_WEIGHTS.values()))[0]

    def _fill(self, text: str, ward: str | None) -> str:
        return text.replace("{ward}", ward or "中原区")

    def add(self, day: dt.date, channel: str, text: str, kind: str, voice_type: str, *, entry: Topic | None = None,
            confidence: float | None = None, candidates: tuple[str, ...] = (), ward: str | None = None,
            planted: str | None = None) -> dict[str, Any]:
        rng = self.rng
        operator = channel != "web"
        if operator:
            kind = "operator"  # as contact.chat.desk records an operator's inquiry
        row: dict[str, Any] = {
            "id": self._id(), "created_at": self._when(day, channel), "channel": channel,
            "session_id": self._id()[:16] if not operator else None, "lang": "ja", "text": text, "ward": ward,
            "kind": kind, "entry_id": entry.entry_id if entry else None, "entry_title": entry.title if entry else None,
            "category": entry.category if entry else None,
            "confidence": round(confidence, 3) if confidence is not None else None,
            "latency_ms": round(rng.uniform(4, 40), 3) if not operator else None,
            "candidates": list(candidates or ((entry.entry_id,) if entry else ())),
            "voice_type": None,  # tagged on insert by the rules, like live inquiries
        }
        if operator:
            resolution = "complaint" if voice_type in ("苦情", "意見・要望", "提案") else rng.choices(
                ("answered", "forwarded", "callback"), weights=(78, 15, 7))[0]
            row.update({"source": "operator", "operator": rng.choice(OPERATORS), "resolution": resolution,
                        "forwarded_to": rng.choice(FORWARD_TO) if resolution == "forwarded" else None})
        self.inquiries.append(row)
        m = self.manifest
        m.total += 1
        m.by_month[row["created_at"][:7]] += 1
        m.by_day[row["created_at"][:10]] += 1
        m.by_channel[channel] += 1
        m.by_ward[ward or ""] += 1
        m.by_kind[kind] += 1
        m.by_voice_type[voice_type] += 1
        if entry:
            m.by_entry[entry.entry_id] += 1
        if planted:
            m.gaps[planted] += 1
        if kind == "answer" and channel == "web" and entry and rng.random() < 0.35:
            helpful = rng.random() < entry.helpful
            self.feedback.append({"inquiry_id": row["id"], "created_at": row["created_at"], "helpful": int(helpful),
                                  "comment": None if helpful or rng.random() > 0.2 else "説明が分かりにくかった"})
            m.rated += 1
            m.helpful += int(helpful)
        return row

    def regular(self, day: dt.date) -> None:
        rng = self.rng
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        if day.weekday() >= 5 and channel in ("visit", "fax"):
            channel = "phone"
        ward = self._ward(channel)
        roll = rng.random()
        if channel == "web":
            if roll < 0.05:
                text, candidates = rng.choice(CLARIFY)
                row = self.add(day, channel, text, "clarify", "問い合わせ", confidence=rng.uniform(0.6, 0.75),
                               candidates=candidates, ward=ward)
                if rng.random() < 0.3:
                    self.phrasings.setdefault((candidates[0], text), {
                        "entry_id": candidates[0], "text": text, "origin": "citizen", "inquiry_id": row["id"],
                        "created_at": row["created_at"], "status": "pending"})
                return
            if roll < 0.08:
                text = rng.choice(SMALLTALK)
                self.add(day, channel, text, "smalltalk", "感謝" if "ありがとう" in text else "問い合わせ",
                         confidence=1.0, ward=ward)
                return
            if roll < 0.10:
                self.add(day, channel, rng.choice(HANDOFF), "handoff", "問い合わせ", confidence=1.0, ward=ward)
                return
            if roll < 0.12:
                self.add(day, channel, rng.choice(OFF_TOPIC), "fallback", "問い合わせ",
                         confidence=rng.uniform(0.0, 0.3), ward=ward)
                return
            if roll < 0.135:
                voice_type = rng.choices(list(VOICE_WEIGHTS), weights=list(VOICE_WEIGHTS.values()))[0]
                kind = "smalltalk" if voice_type == "感謝" else "fallback"
                self.add(day, channel, rng.choice(VOICES[voice_type]), kind, voice_type,
                         confidence=1.0 if kind == "smalltalk" else rng.uniform(0.0, 0.4), ward=ward)
                return
        elif roll < 0.15:
            voice_type = rng.choices(list(VOICE_WEIGHTS), weights=list(VOICE_WEIGHTS.values()))[0]
            self.add(day, channel, rng.choice(VOICES[voice_type]), "operator", voice_type, ward=ward)
            return
        topic = rng.choices(TOPICS, weights=[t.weight for t in TOPICS])[0]
        text = self._fill(rng.choice(topic.questions), ward)
        confidence = rng.uniform(0.62, 1.0) if channel == "web" else None
        self.add(day, channel, text, "answer", "問い合わせ", entry=topic, confidence=confidence, ward=ward)

    def planted(self, day: dt.date, gap: Gap) -> None:
        ward = self._ward("web")
        text = self._fill(self.rng.choice(gap.questions), ward)
        self.add(day, "web", text, "fallback", "問い合わせ", confidence=self.rng.uniform(0.05, 0.45), ward=ward,
                 planted=gap.key)

    def run(self) -> None:
        rng = self.rng
        day = self.start
        while day <= self.end:
            base = DAILY[day.weekday()]
            for _ in range(round(base * rng.uniform(0.85, 1.15))):
                self.regular(day)
            day += dt.timedelta(days=1)
        week = self.start
        while week <= self.end:
            days = [week + dt.timedelta(days=k) for k in range(7) if week + dt.timedelta(days=k) <= self.end]
            for gap in GAPS:
                summer = gap.summer_weekly is not None and week.month in (7, 8)
                for _ in range(gap.summer_weekly if summer and gap.summer_weekly else gap.weekly):
                    self.planted(rng.choice(days), gap)
            for _ in range(2):
                low = next(t for t in TOPICS if t.entry_id == LOW_CONFIDENCE_ENTRY)
                self.add(rng.choice(days), "web", rng.choice(LOW_CONFIDENCE), "answer", "問い合わせ", entry=low,
                         confidence=rng.uniform(0.5, 0.58), ward=self._ward("web"))
                self.manifest.low_confidence += 1
            week += dt.timedelta(days=7)
        for weeks_back, count in zip((2, 1, 0), BENEFIT_WEEKS, strict=True):
            last = self.end - dt.timedelta(days=7 * weeks_back)
            for _ in range(count):
                self.planted(last - dt.timedelta(days=rng.randint(0, 6)), BENEFIT)
        self.inquiries.sort(key=lambda r: (r["created_at"], r["id"]))
        self.manifest.phrasings = len(self.phrasings)


def generate(seed: int = 7, start: dt.date = dt.date(2026, 6, 1), end: dt.date = dt.date(2026, 11, 19)
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], Manifest]:
    """(inquiries, feedback, phrasing proposals, manifest) of a synthetic log from ``start`` to ``end``."""
    if end < start + dt.timedelta(days=27):
        raise ValueError("the log must span at least four weeks")
    gen = _Generator(seed, start, end)
    gen.run()
    return gen.inquiries, gen.feedback, list(gen.phrasings.values()), gen.manifest


def write(path: str | Path, seed: int = 7, start: dt.date = dt.date(2026, 6, 1),
          end: dt.date = dt.date(2026, 11, 19)) -> Manifest:
    """Generate a log and store it in a new SQLite file (created and migrated like the service's)."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; seed into a new file")
    inquiries, feedback, phrasings, manifest = generate(seed, start, end)
    db = connect(str(path), "normal")
    try:
        migrate(db)
        with db.atomic():
            db["inquiries"].insert_all([prepare_inquiry(r) for r in inquiries], batch_size=1000)  # type: ignore[union-attr]
            db["feedback"].insert_all(feedback, batch_size=1000)  # type: ignore[union-attr]
            db["phrasings"].insert_all(phrasings, batch_size=1000)  # type: ignore[union-attr]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.conn.close()
    return manifest


USAGE = """Write a seeded synthetic inquiry log (thousands of inquiries over months) into a new SQLite file.

The same seed gives the same log: tests and demos know what the analysis must find (what is planted:
knowledge gaps, a rising topic, voice types; see contact/ops/seed.py).

Examples:
  scripts/seed-log var/demo.sqlite3
  scripts/seed-log var/demo.sqlite3 --seed 11 --start 2026-04-01 --end 2026-11-19
  scripts/contact users add demo --role staff --db var/demo.sqlite3
  CONTACT_NOW=2026-11-20T10:00:00+09:00 scripts/contact serve --db var/demo.sqlite3   # then open /staff/
"""


def main(argv: list[str] | None = None) -> int:
    """``scripts/seed-log OUT [--seed N] [--start DATE] [--end DATE] [--manifest FILE]``; 2 on a bad argument."""
    parser = argparse.ArgumentParser(prog="scripts/seed-log", description=USAGE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="SQLite file to create (must not exist)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1),
                        help="first day, YYYY-MM-DD (default 2026-06-01)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 11, 19),
                        help="last day, YYYY-MM-DD (default 2026-11-19)")
    parser.add_argument("--manifest", help="also write what was generated (counts, planted topics) as JSON here")
    args = parser.parse_args(argv)
    configure("warning", json=False, stderr=True)
    started = time.perf_counter()
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        manifest = write(out, args.seed, args.start, args.end)
    except (FileExistsError, ValueError) as exc:
        print(f"seed-log: {exc}", file=sys.stderr)
        return 2
    if args.manifest:
        Path(args.manifest).write_text(json.dumps(manifest.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {manifest.total} inquiries ({manifest.rated} rated, {manifest.phrasings} phrasing proposals) "
          f"from {manifest.start} to {manifest.end} into {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
