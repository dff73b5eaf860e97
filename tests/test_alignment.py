"""Cross-lingual alignment by per-language mean centring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from coopthemes.embeddings import LanguageCentering, get_embedder

X = np.array([[2.0, 0.0], [4.0, 0.0], [0.0, 2.0], [0.0, 6.0]])
LANGS = ["vi", "vi", "fr", "fr"]


def test_means_hand_computed():
    model = LanguageCentering(min_count=1).fit(X, LANGS)
    assert list(model.means_) == ["fr", "vi"]
    np.testing.assert_array_equal(model.means_["vi"], [3.0, 0.0])
    np.testing.assert_array_equal(model.means_["fr"], [0.0, 4.0])
    np.testing.assert_array_equal(model.global_mean_, [1.5, 2.0])
    assert model.counts_ == {"fr": 2, "vi": 2}
    assert model.n_features_in_ == 2


def test_transform_centres_and_renormalises():
    model = LanguageCentering(min_count=1).fit(X, LANGS)
    out = model.transform(X, LANGS)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-1, 0], [1, 0], [0, -1], [0, 1]])
    raw = LanguageCentering(min_count=1, normalize=False).fit(X, LANGS).transform(X, LANGS)
    np.testing.assert_array_equal(raw, [[-1, 0], [1, 0], [0, -2], [0, 2]])


def test_unknown_missing_and_rare_languages_use_the_global_mean():
    model = LanguageCentering(min_count=1).fit(X, LANGS)
    rows = np.array([[4.5, 6.0], [1.5, 2.0], [1.5, 3.0]])
    out = model.transform(rows, pd.Series(["en", pd.NA, None], dtype="object"))
    # [4.5, 6] - [1.5, 2] = [3, 4] -> [0.6, 0.8]; the global mean itself -> zero row.
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [0.0, 1.0]], atol=1e-7)
    rare = LanguageCentering(min_count=3).fit(X, LANGS)
    assert rare.means_ == {} and rare.counts_ == {"fr": 2, "vi": 2}
    # no language reaches 3 rows: every row is centred on [1.5, 2].
    expected = np.array([[0.5, -2.0], [2.5, -2.0], [-1.5, 0.0], [-1.5, 4.0]])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(rare.transform(X, LANGS), expected, rtol=1e-6)


def test_missing_languages_at_fit_count_only_in_the_global_mean():
    model = LanguageCentering(min_count=1).fit(X, ["vi", "vi", None, pd.NA])
    assert list(model.means_) == ["vi"] and model.counts_ == {"vi": 2}
    np.testing.assert_array_equal(model.global_mean_, [1.5, 2.0])


def test_fit_transform_equals_fit_then_transform():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(30, 5))
    langs = ["vi", "fr", "en"] * 10
    a = LanguageCentering(min_count=5).fit_transform(Z, langs)
    b = LanguageCentering(min_count=5).fit(Z, langs).transform(Z, langs)
    np.testing.assert_array_equal(a, b)
    # every language mean of the centred (unnormalised) rows is zero
    raw = LanguageCentering(min_count=5, normalize=False).fit_transform(Z, langs)
    for lang in ("en", "fr", "vi"):
        mask = np.array(langs) == lang
        np.testing.assert_allclose(raw[mask].mean(axis=0), 0.0, atol=1e-6)


def test_estimator_rules_and_errors():
    model = LanguageCentering(min_count=3, normalize=False)
    assert model.get_params() == {"min_count": 3, "normalize": False}
    assert clone(model).get_params() == model.get_params()
    assert not hasattr(model, "means_")
    with pytest.raises(NotFittedError):
        model.transform(X, LANGS)
    fitted = LanguageCentering(min_count=1).fit(X, LANGS)
    with pytest.raises(ValueError, match="dimension 3.*dimension 2"):
        fitted.transform(np.zeros((1, 3)), ["vi"])
    with pytest.raises(ValueError, match="languages has 3 values but X has 4 rows"):
        LanguageCentering().fit(X, LANGS[:3])
    with pytest.raises(TypeError, match="not a string"):
        LanguageCentering().fit(X, "vi")
    with pytest.raises(ValueError, match="NaN"):
        LanguageCentering().fit(np.array([[np.nan, 1.0]]), ["vi"])
    with pytest.raises(ValueError, match="min_count"):
        LanguageCentering(min_count=0).fit(X, LANGS)


def test_save_and_load_round_trip(tmp_path):
    model = LanguageCentering(min_count=2, normalize=False).fit(X, [*LANGS[:3], "en"])
    path = model.save(tmp_path / "centering.npz")
    loaded = LanguageCentering.load(path)
    assert loaded.get_params() == model.get_params()
    assert loaded.counts_ == {"en": 1, "fr": 1, "vi": 2}
    assert list(loaded.means_) == ["vi"]
    rows = np.array([[1.0, 1.0], [2.0, 5.0]])
    langs = ["vi", "en"]
    np.testing.assert_array_equal(loaded.transform(rows, langs), model.transform(rows, langs))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz: not a saved LanguageCentering"):
        LanguageCentering.load(bad)


# Ten short parallel news sentences on security cooperation: the same genre in
# every language, so raw vectors group by language more than by content.
TRIPLES = [
    (
        "Hai bên nhất trí tăng cường đào tạo cán bộ cảnh sát trong năm tới.",
        "Les deux parties ont convenu de renforcer la formation des policiers l'année prochaine.",
        "The two sides agreed to step up the training of police officers next year.",
    ),
    (
        "Lực lượng chức năng đã thu giữ hơn một tấn ma túy tại cảng biển.",
        "Les autorités ont saisi plus d'une tonne de drogue dans le port maritime.",
        "The authorities seized more than a tonne of drugs at the seaport.",
    ),
    (
        "Tội phạm mạng ngày càng tinh vi và gây thiệt hại lớn cho doanh nghiệp.",
        "La cybercriminalité devient de plus en plus sophistiquée et cause de lourdes pertes "
        "aux entreprises.",
        "Cybercrime is becoming ever more sophisticated and causes heavy losses to businesses.",
    ),
    (
        "Nhiều phụ nữ bị lừa bán ra nước ngoài đã được giải cứu và đưa về nước.",
        "De nombreuses femmes victimes de la traite à l'étranger ont été secourues et rapatriées.",
        "Many women trafficked abroad have been rescued and brought home.",
    ),
    (
        "Bộ trưởng đề nghị phía bạn sớm dẫn độ các đối tượng bị truy nã.",
        "Le ministre a demandé à la partie partenaire d'extrader rapidement les personnes "
        "recherchées.",
        "The minister asked the partner side to extradite the wanted suspects quickly.",
    ),
    (
        "Phía Nhật Bản tặng xe chuyên dụng và thiết bị phòng cháy chữa cháy.",
        "La partie japonaise a offert des véhicules spécialisés et du matériel de lutte contre "
        "l'incendie.",
        "The Japanese side donated specialised vehicles and firefighting equipment.",
    ),
    (
        "Hai nước sẽ phối hợp tuần tra chung trên tuyến biên giới đất liền.",
        "Les deux pays mèneront des patrouilles conjointes le long de la frontière terrestre.",
        "The two countries will conduct joint patrols along the land border.",
    ),
    (
        "Các bên trao đổi thông tin về nguy cơ khủng bố trong khu vực.",
        "Les parties ont échangé des informations sur la menace terroriste dans la région.",
        "The parties exchanged information on the terrorist threat in the region.",
    ),
    (
        "Cơ quan điều tra phát hiện đường dây rửa tiền qua các sàn tiền ảo.",
        "Les enquêteurs ont découvert un réseau de blanchiment d'argent via des plateformes de "
        "cryptomonnaies.",
        "Investigators uncovered a money laundering ring using cryptocurrency exchanges.",
    ),
    (
        "Việt Nam cử thêm sĩ quan công an tham gia lực lượng gìn giữ hòa bình.",
        "Le Vietnam envoie davantage d'officiers de police dans les forces de maintien de la paix.",
        "Vietnam is sending more police officers to join the peacekeeping forces.",
    ),
]


def _translation_hits(E: np.ndarray, n: int, k: int) -> int:
    """Among the k nearest neighbours of each vi row, how many are its translations."""
    S = E[:n] @ E.T
    S[np.arange(n), np.arange(n)] = -np.inf
    hits = 0
    for i in range(n):
        nearest = set(np.argsort(-S[i], kind="stable")[:k].tolist())
        hits += len(nearest & {i + n, i + 2 * n})
    return hits


@pytest.mark.integration
def test_centring_brings_translations_together():
    n = len(TRIPLES)
    texts = [triple[j] for j in range(3) for triple in TRIPLES]
    langs = ["vi"] * n + ["fr"] * n + ["en"] * n
    raw = get_embedder().embed(texts)
    centred = LanguageCentering(min_count=n).fit_transform(raw, langs)
    before_1, after_1 = _translation_hits(raw, n, 1), _translation_hits(centred, n, 1)
    before_2, after_2 = _translation_hits(raw, n, 2), _translation_hits(centred, n, 2)
    assert after_1 > before_1 and after_2 > before_2
    assert after_1 >= 9 and after_2 >= 18  # measured: 10/10 and 20/20 (raw: 5/10 and 12/20)
