"""Synthetic knowledge bases of any size, for benchmarks: plausible Japanese FAQ entries from vocabulary.

A city's FAQ is many variations of a few patterns: *who* (高齢者の, 事業者の …) does *what* (a topic
such as 住民票の写し or 粗大ごみ, and an action such as 再発行 or 変更) and asks about one *facet*
(持ち物, 手数料, 窓口, 期限 …). :func:`generate` combines the vocabulary below into ``n`` distinct
entries, each with a formal question, keyword-style alternatives and an answer of a few sentences,
plus one colloquial question per entry phrased differently from anything in the entry, labelled
with its id, so that matcher quality can be measured on the same base.

Deterministic: the same ``n`` and ``seed`` give the same entries, in the same order, on every
machine. Nothing here is real city information; ``source_url`` points to example.jp.

>>> base = generate(3, seed=1)
>>> [f.id for f in base.faqs]
['syn-00000', 'syn-00001', 'syn-00002']
>>> generate(3, seed=1) == base
True
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from knowledge.schema import Faq

REVIEWED = dt.date(2026, 4, 1)
SOURCE_URL = "https://www.example.jp/synthetic-faq/"


@dataclass(frozen=True)
class Topic:
    name: str
    category: str
    department: str
    window: str
    brings: str
    """What to bring besides an ID (the 持ち物 answer)."""
    fee: str


TOPICS: tuple[Topic, ...] = (
    Topic("住民票の写し", "住民票・証明", "区役所区民課", "区民課", "請求者の本人確認書類", "1通300円"),
    Topic("印鑑登録", "印鑑登録", "区役所区民課", "区民課", "登録する印鑑", "無料"),
    Topic("印鑑登録証明書", "印鑑登録", "区役所区民課", "区民課", "印鑑登録証（カード）", "1通300円"),
    Topic("戸籍謄本", "戸籍", "区役所区民課", "区民課", "本籍と筆頭者がわかるもの", "1通450円"),
    Topic("戸籍の附票", "戸籍", "区役所区民課", "区民課", "本籍と筆頭者がわかるもの", "1通300円"),
    Topic("転入届", "引越し", "区役所区民課", "区民課", "転出証明書", "無料"),
    Topic("転出届", "引越し", "区役所区民課", "区民課", "国民健康保険の保険証", "無料"),
    Topic("転居届", "引越し", "区役所区民課", "区民課", "世帯全員の本人確認書類", "無料"),
    Topic("婚姻届", "戸籍", "区役所区民課", "区民課", "届出人の印鑑", "無料"),
    Topic("出生届", "戸籍", "区役所区民課", "区民課", "出生証明書と母子健康手帳", "無料"),
    Topic("死亡届", "戸籍", "区役所区民課", "区民課", "死亡診断書", "無料"),
    Topic("マイナンバーカード", "マイナンバー", "マイナンバーカードセンター", "マイナンバー窓口",
          "交付通知書", "無料（再交付は1,000円）"),
    Topic("国民健康保険", "国民健康保険", "区役所保険年金課", "保険年金課", "資格確認書", "無料"),
    Topic("国民健康保険料", "国民健康保険", "区役所保険年金課", "保険年金課", "納入通知書", "無料"),
    Topic("国民年金", "国民年金", "区役所保険年金課", "保険年金課", "基礎年金番号がわかるもの", "無料"),
    Topic("後期高齢者医療", "後期高齢者医療", "区役所保険年金課", "保険年金課", "資格確認書", "無料"),
    Topic("介護保険", "介護保険", "区役所高齢・障害課", "高齢・障害課", "介護保険被保険者証", "無料"),
    Topic("要介護認定", "介護保険", "区役所高齢・障害課", "高齢・障害課", "主治医の氏名がわかるもの", "無料"),
    Topic("児童手当", "子育て", "区役所地域みまもり支援センター", "こども家庭係", "請求者名義の通帳", "無料"),
    Topic("児童扶養手当", "子育て", "区役所地域みまもり支援センター", "こども家庭係", "戸籍謄本", "無料"),
    Topic("保育園の入園", "子育て", "区役所地域みまもり支援センター", "保育所等・幼稚園入所係",
          "就労証明書", "無料"),
    Topic("小児医療費助成", "子育て", "区役所地域みまもり支援センター", "こども家庭係", "子の資格確認書", "無料"),
    Topic("妊娠の届出", "子育て", "区役所地域みまもり支援センター", "地区支援係", "妊娠の診断を受けた日がわかるもの",
          "無料"),
    Topic("粗大ごみ", "ごみ", "環境局生活環境事業所", "粗大ごみ受付センター", "粗大ごみ処理券", "品目により200円から"),
    Topic("資源物の収集", "ごみ", "環境局生活環境事業所", "生活環境事業所", "特になし", "無料"),
    Topic("犬の登録", "ペット", "区役所衛生課", "衛生課", "狂犬病予防注射済証", "3,000円"),
    Topic("狂犬病予防注射", "ペット", "区役所衛生課", "衛生課", "注射済票の交付申請書", "550円"),
    Topic("個人市民税", "税", "財政局市税事務所", "市民税課", "源泉徴収票", "無料"),
    Topic("固定資産税", "税", "財政局市税事務所", "固定資産税課", "納税通知書", "無料"),
    Topic("軽自動車税", "税", "財政局市税事務所", "軽自動車税係", "車検証", "無料"),
    Topic("納税証明書", "税", "財政局市税事務所", "証明係", "本人確認書類", "1件300円"),
    Topic("市営住宅", "住まい", "まちづくり局住宅整備推進課", "市営住宅管理センター", "収入を証明する書類", "無料"),
    Topic("自転車駐輪場の定期利用", "交通", "建設緑政局自転車利活用推進室", "駐輪場管理事務所", "学生証",
          "月額1,800円から"),
    Topic("放置自転車の引取り", "交通", "建設緑政局自転車利活用推進室", "自転車保管所", "自転車の鍵", "2,500円"),
    Topic("道路の損傷の連絡", "道路・公園", "区役所道路公園センター", "道路公園センター", "場所がわかる写真", "無料"),
    Topic("公園の使用許可", "道路・公園", "区役所道路公園センター", "道路公園センター", "使用計画書",
          "面積により異なる"),
    Topic("上下水道の使用開始", "上下水道", "上下水道局", "お客さまセンター", "お客さま番号", "無料"),
    Topic("水道料金", "上下水道", "上下水道局", "お客さまセンター", "検針票", "無料"),
    Topic("がん検診", "健康", "健康福祉局健康増進課", "がん検診係", "受診券", "500円から"),
    Topic("高齢者インフルエンザ予防接種", "健康", "健康福祉局感染症対策課", "予防接種係", "予診票", "2,300円"),
    Topic("障害者手帳", "福祉", "区役所高齢・障害課", "障害者支援係", "顔写真と診断書", "無料"),
    Topic("生活保護", "福祉", "区役所保護課", "保護課", "収入と資産がわかるもの", "無料"),
    Topic("図書館の利用カード", "文化・スポーツ", "教育委員会生涯学習部", "市立図書館", "住所が確認できるもの", "無料"),
    Topic("スポーツセンターの利用", "文化・スポーツ", "市民文化局市民スポーツ室", "スポーツセンター", "利用者カード",
          "1回300円から"),
    Topic("選挙の期日前投票", "選挙", "選挙管理委員会", "区選挙管理委員会", "投票所入場整理券", "無料"),
    Topic("パスポート", "旅券", "神奈川県パスポートセンター", "旅券窓口", "戸籍謄本と顔写真", "10年用16,300円"),
    Topic("空き家の相談", "住まい", "まちづくり局住宅政策課", "住宅政策課", "建物の登記事項証明書", "無料"),
    Topic("町内会・自治会", "地域", "市民文化局協働・連携推進課", "区役所地域振興課", "特になし", "無料"),
    Topic("消費生活相談", "くらし", "経済労働局消費者行政センター", "消費者行政センター", "契約書や領収書", "無料"),
    Topic("住宅用火災警報器", "防災", "消防局予防課", "消防署予防課", "特になし", "無料"),
)

ACTIONS: tuple[str, ...] = (
    "申請", "届出", "交付", "再発行", "変更", "登録", "廃止", "更新", "申込み", "相談", "取消し", "減免",
)

WHO: tuple[tuple[str, str, str], ...] = (
    ("", "", ""),
    ("高齢者の", "高齢者", "高齢の親のことですが、"),
    ("外国籍の方の", "外国籍の方", "外国籍なんですが、"),
    ("事業者の", "事業者", "事業をしているんですが、"),
    ("障害のある方の", "障害のある方", "障害があるんですが、"),
    ("ひとり親家庭の", "ひとり親家庭", "ひとり親なんですが、"),
    ("学生の", "学生", "学生なんですが、"),
    ("転入したばかりの方の", "転入したばかりの方", "引っ越してきたばかりですが、"),
    ("未成年の", "未成年の方", "まだ未成年ですが、"),
    ("代理人による", "代理人", "代理で行くんですが、"),
    ("単身赴任中の方の", "単身赴任中の方", "単身赴任中なんですが、"),
    ("入院中の方の", "入院中の方", "家族が入院中なんですが、"),
)
"""(prefix in a question, the person, how a citizen says it in a chat)."""


@dataclass(frozen=True)
class Facet:
    key: str
    formal: str
    """As in a FAQ's question: 必要な持ち物, 手数料 …"""
    keyword: str
    """As typed in a search box: 持ち物, いくら …"""
    colloquial: str
    """As a citizen says it in a chat: 何を持っていけばいい …"""


FACETS: tuple[Facet, ...] = (
    Facet("bring", "必要な持ち物", "持ち物", "何を持っていけばいいですか"),
    Facet("fee", "手数料", "費用", "お金はいくらかかりますか"),
    Facet("where", "受付窓口", "どこ", "どこへ行けばいいですか"),
    Facet("hours", "受付時間", "何時まで", "何時から何時までやっていますか"),
    Facet("deadline", "手続きの期限", "期限", "いつまでにやらないといけませんか"),
    Facet("mail", "郵送での手続き", "郵送", "郵便でも大丈夫ですか"),
    Facet("online", "オンライン申請", "ネット", "インターネットからできますか"),
    Facet("proxy", "委任状", "代理", "家族が代わりに行ってもいいですか"),
    Facet("days", "処理にかかる日数", "日数", "どのくらい日にちがかかりますか"),
    Facet("saturday", "土曜日の受付", "土曜", "土曜日でも受け付けてもらえますか"),
)

_FORMAL_TEMPLATES = (
    "{who}{topic}の{action}の{facet}について教えてください。",
    "{who}{topic}を{action}する場合の{facet}を知りたい。",
    "{who}{topic}の{action}をするとき、{facet}はどうなっていますか。",
)
_QUERY_TEMPLATES = (
    "{who}{topic}の{action}って{colloquial}",
    "{said}{topic}の{action}をしたいです。{colloquial}",
    "{who}{topic} {action}したい {colloquial}",
)


@dataclass(frozen=True)
class SyntheticBase:
    faqs: tuple[Faq, ...]
    queries: tuple[tuple[str, str], ...]
    """(colloquial question, id of the entry that answers it), one per entry, in entry order."""


def combinations() -> int:
    """How many distinct entries the vocabulary can make."""
    return len(TOPICS) * len(ACTIONS) * len(FACETS) * len(WHO)


def _answer(topic: Topic, action: str, facet: Facet, who: str, rng: random.Random) -> str:
    """A few sentences as a city would write them; ``who`` is the person (高齢者) or empty."""
    place = f"{topic.department}（{topic.window}）"
    lead = {
        "bring": f"{topic.name}の{action}には、本人確認書類（マイナンバーカード、運転免許証など）と{topic.brings}を"
                 "お持ちください。",
        "fee": f"{topic.name}の{action}の手数料は{topic.fee}です。現金のほか、一部の窓口ではキャッシュレス決済も"
               "使えます。",
        "where": f"{topic.name}の{action}は{place}で受け付けています。お住まいの区の窓口をご利用ください。",
        "hours": f"{place}の受付時間は、平日の午前8時30分から午後5時までです。祝日と年末年始はお休みです。",
        "deadline": f"{topic.name}の{action}は、事由が生じた日から{rng.choice(('14日', '30日', '3か月'))}以内に"
                    "手続きしてください。期限を過ぎた場合も受け付けますが、理由をお聞きすることがあります。",
        "mail": f"{topic.name}の{action}は郵送でも受け付けています。申請書に{topic.brings}の写しと返信用封筒を"
                f"同封し、{topic.department}あてにお送りください。",
        "online": f"{topic.name}の{action}は、市の電子申請システムからも手続きできます。マイナンバーカードと"
                  "読み取りに対応したスマートフォンが必要です。",
        "proxy": f"代理人が{topic.name}の{action}をする場合は、本人が記入した委任状と、代理人の本人確認書類を"
                 "お持ちください。",
        "days": f"{topic.name}の{action}は、書類に不備がなければ通常"
                f"{rng.choice(('即日', '1週間程度', '2週間から1か月'))}で完了します。",
        "saturday": f"{topic.name}の{action}は、第2・第4土曜日の午前中にも一部の区役所で受け付けています。"
                    "取り扱う業務が限られるため、事前にご確認ください。",
    }[facet.key]
    extra = f"{who}の場合は、必要な書類が異なることがあります。" if who else ""
    tail = f"詳しくは{topic.department}（044-{rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}）へ" \
           "お問い合わせください。"
    return lead + extra + tail


def generate(n: int, seed: int = 2026) -> SyntheticBase:
    """``n`` distinct FAQ entries (``n`` ≤ :func:`combinations`) and one labelled question per entry."""
    total = combinations()
    if not 0 <= n <= total:
        raise ValueError(f"the vocabulary makes at most {total} distinct entries, not {n}")
    rng = random.Random(seed)
    picks = rng.sample(range(total), n)
    faqs: list[Faq] = []
    queries: list[tuple[str, str]] = []
    for number, pick in enumerate(picks):
        pick, w = divmod(pick, len(WHO))
        pick, f = divmod(pick, len(FACETS))
        t, a = divmod(pick, len(ACTIONS))
        topic, action, facet, (who, person, said) = TOPICS[t], ACTIONS[a], FACETS[f], WHO[w]
        entry_id = f"syn-{number:05d}"
        words = {"who": who, "topic": topic.name, "action": action, "facet": facet.formal}
        question = rng.choice(_FORMAL_TEMPLATES).format(**words)
        alternatives = (
            f"{who}{topic.name} {action} {facet.keyword}",
            f"{topic.name}の{action}の{facet.formal}" + (f"（{person}）" if person else ""),
        )
        faqs.append(Faq(
            id=entry_id, question=question, alternatives=alternatives,
            answer=_answer(topic, action, facet, person, rng), category=topic.category,
            department=topic.department, source_url=SOURCE_URL + entry_id, reviewed=REVIEWED,
        ))
        query = rng.choice(_QUERY_TEMPLATES).format(
            who=who, said=said, topic=topic.name,
            action=action, colloquial=facet.colloquial,
        )
        queries.append((query, entry_id))
    return SyntheticBase(tuple(faqs), tuple(queries))
