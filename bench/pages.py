"""Markup of generated pages, in the platform's two layouts (as in samples/pages).

Every field is stated where the platform states it: the head (OpenGraph,
``article:*``), microdata, and the visible page. The chrome around the article
(menus, related headlines, scripts) is what makes real pages 40-60 KB.
"""
from __future__ import annotations

import json
import random

from bench.generate import Draft, Truth, html_attr as esc

TARGET_SIZE = (40_000, 60_000)
CDN = "https://cdnnfr1.img.sputniknews.com"


def render(draft: Draft) -> tuple[Truth, bytes]:
    truth = draft.truth
    rng = random.Random(truth.url)
    article = _article_2021(draft) if truth.layout == "2021" else _article_2016(draft)
    head = _head(draft)
    target = rng.randrange(*TARGET_SIZE)
    related = list(draft.related)
    page = _page(head, article, related, truth)
    while len(page) < target:  # more related headlines, as long pages carry
        related += [(path, f"{title} ({len(related)})") for path, title in draft.related[:5]]
        page = _page(head, article, related, truth)
    return truth, page


def _page(head: str, article: str, related: list[tuple[str, str]], truth: Truth) -> bytes:
    menu = "".join(f'<li class="menu__item"><a href="/{s}/">{s.title()}</a></li>'
                   for s in ("international", "france", "economie", "societe", "sport",
                             "sci-tech", "afrique", "opinion", "videos", "podcasts") * 3)
    column = "".join(
        f'<div class="list__item"><a class="list__title" href="{esc(path)}">{esc(title)}</a>'
        f'<div class="list__date" data-unixtime="{1_600_000_000 + n * 977}">{n % 24:02d}:{n % 60:02d}'
        f'</div><img class="list__image" src="{CDN}/img/07e5/0c/{n % 28 + 1:02d}/{1054000000 + n}'
        f'_0:0:1920:1080_300x0_80_0_0_0.jpg" alt=""></div>\n'
        for n, (path, title) in enumerate(related))
    data_layer = json.dumps({"page_type": "article", "article_id": int(truth.article_id),
                             "rubric": truth.section, "tags": truth.keywords,
                             "related": [path for path, _ in related[:20]]})
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n' + head + "</head>\n"
        '<body class="body m-article">\n<div class="page">\n<header class="header">'
        f'<div class="header__logo"><a href="/"><img src="{CDN}/i/logo/logo.svg" alt="Sputnik France">'
        f'</a></div>\n<nav class="header__menu"><ul>{menu}</ul></nav>\n</header>\n'
        f'<div class="layout-article">\n{article}\n'
        f'<aside class="layout-article__right"><div class="list">\n{column}</div></aside>\n</div>\n'
        '<footer class="footer"><div class="footer__copyright">© Sputnik. Tous droits réservés'
        "</div></footer>\n</div>\n"
        f"<script>window.dataLayer = window.dataLayer || []; dataLayer.push({data_layer});</script>\n"
        "</body>\n</html>\n"
    ).encode("utf-8")


def _head(draft: Draft) -> str:
    truth = draft.truth
    meta = [("name", "description", draft.description),
            ("name", "keywords", ", ".join(truth.keywords)),
            ("property", "og:url", truth.url), ("property", "og:title", truth.title),
            ("property", "og:description", draft.description), ("property", "og:type", "article"),
            ("property", "og:site_name", "Sputnik France"), ("property", "og:locale", "fr_FR"),
            ("property", "og:image", f"{CDN}/img/{truth.article_id}_0:0:1920:1080_1920x0.jpg")]
    if truth.layout == "2021":
        meta += [("name", "analytics:title", truth.title),
                 ("name", "analytics:rubric", truth.section),
                 ("name", "analytics:authors", ", ".join(truth.authors)),
                 ("property", "article:published_time", f"{draft.published:%Y%m%dT%H%M%z}")]
        if draft.modified:
            meta.append(("property", "article:modified_time", f"{draft.modified:%Y%m%dT%H%M%z}"))
        meta += [("property", "article:author", name) for name in truth.authors]
        meta.append(("property", "article:section", truth.section.title()))
        meta += [("property", "article:tag", tag) for tag in truth.keywords]
    tags = "".join(f'<meta {kind}="{key}" content="{esc(value)}">\n' for kind, key, value in meta)
    return (f'<meta charset="utf-8">\n<title>{esc(truth.title)} - Sputnik France</title>\n{tags}'
            f'<link rel="canonical" href="{esc(truth.url)}">\n'
            f'<link rel="stylesheet" href="{CDN}/css/common.min.css?9a1c3f">\n'
            f'<script src="{CDN}/min/js/libs/banners/adfx.loader.bind.js?9a1c3f"></script>\n')


def _dateline_2021(moment, css: str, label: str = "") -> str:
    text = f"{moment:%H:%M %d.%m.%Y}"
    if label:
        return (f' <span class="{css}" data-unixtime="{int(moment.timestamp())}">'
                f" ({label}: {text})</span>")
    return f'<a href="/{moment:%Y%m%d}/" data-unixtime="{int(moment.timestamp())}">{text}</a>'


def _article_2021(draft: Draft) -> str:
    truth = draft.truth
    iso = "%Y-%m-%dT%H:%M%z"
    micro = [f'<div itemprop="mainEntityOfPage">{esc(truth.url)}</div>',
             f'<div itemprop="headline">{esc(truth.title)}</div>',
             f'<div itemprop="description">{esc(draft.description)}</div>',
             f'<div itemprop="datePublished">{draft.published:{iso}}</div>']
    if draft.modified:
        micro.append(f'<div itemprop="dateModified">{draft.modified:{iso}}</div>')
    micro.append(f'<div itemprop="articleSection">{truth.section}</div>')
    micro.append(f'<div itemprop="articleBody">{esc("".join(t for _, t in draft.paragraphs))}</div>')
    micro += [f'<div itemprop="author" itemscope itemtype="http://schema.org/Person">'
              f'<div itemprop="name">{esc(name)}</div></div>' for name in truth.authors]
    micro += ['<div itemprop="inLanguage">fr_FR</div>',
              f'<div itemprop="keywords">{esc(", ".join(truth.keywords))}</div>']
    dateline = _dateline_2021(draft.published, "")
    if draft.modified:
        dateline += _dateline_2021(draft.modified, "article__info-date-modified", "mis à jour")
    authors = "".join(f'<a href="/author/" class="article__author-name">{esc(n)}</a>'
                      for n in truth.authors)
    blocks = []
    for number, (kind, text) in enumerate(draft.paragraphs):
        if kind == "h3":
            blocks.append(f'<div class="article__block" data-type="h3"><h3 class="article__h2">'
                          f"{esc(text)}</h3></div>")
            continue
        blocks.append(f'<div class="article__block" data-type="text"><div class="article__text">'
                      f"{esc(text)}</div></div>")
        if number % 4 == 1:
            path, title = draft.related[number % len(draft.related)]
            blocks.append(f'<div class="article__block" data-type="article"><div class="article__article">'
                          f'<a class="article__article-title" href="{esc(path)}">{esc(title)}</a>'
                          "</div></div>")
        if number % 6 == 3:
            blocks.append('<div class="article__block" data-type="banner"><div class="banner">'
                          '<span class="banner__label">Publicité</span></div></div>')
    tags = "".join(f'<li class="tag"><a href="/{esc(t)}/" class="tag__text">{esc(t)}</a></li>'
                   for t in truth.keywords)
    return (
        f'<div class="article " data-id="{truth.article_id}" data-type="article">\n'
        '<div class="article__meta" itemscope itemtype="http://schema.org/Article">\n'
        + "\n".join(micro) + "\n</div>\n"
        f'<div class="article__header">\n<h1 class="article__title">{esc(truth.title)}</h1>\n'
        f'<div class="article__info"><div class="article__info-date">{dateline}</div>\n'
        f'<div class="article__author">{authors}</div></div>\n'
        f'<div class="article__announce-text">{esc(draft.description)}</div>\n</div>\n'
        '<div class="article__body js-mediator-article">\n' + "\n".join(blocks) + "\n</div>\n"
        f'<div class="article__footer"><ul class="tags">{tags}</ul></div>\n</div>'
    )


def _article_2016(draft: Draft) -> str:
    truth = draft.truth
    iso = "%Y-%m-%dT%H:%M%z"
    micro = [f'<meta itemprop="mainEntityOfPage" content="{esc(truth.url)}">',
             f'<meta itemprop="headline" content="{esc(truth.title)}">',
             f'<meta itemprop="datePublished" content="{draft.published:{iso}}">']
    if draft.modified:
        micro.append(f'<meta itemprop="dateModified" content="{draft.modified:{iso}}">')
    micro += [f'<meta itemprop="articleSection" content="{truth.section.title()}">',
              f'<meta itemprop="keywords" content="{esc(", ".join(truth.keywords))}">',
              '<meta itemprop="inLanguage" content="fr">']
    micro += [f'<div itemprop="author" itemscope itemtype="http://schema.org/Person">'
              f'<meta itemprop="name" content="{esc(name)}"></div>' for name in truth.authors]
    update = (f'<span class="b-article__refs-update">(mis à jour {draft.modified:%H:%M %d.%m.%Y})'
              "</span>" if draft.modified else "")
    authors = ("".join(f'<div class="b-article__refs-author">Par <a href="/authors/">{esc(n)}</a></div>'
                       for n in truth.authors))
    text = []
    for number, (kind, paragraph) in enumerate(draft.paragraphs):
        text.append(f"<{kind}>{esc(paragraph)}</{kind}>")
        if number % 4 == 1:
            path, title = draft.related[number % len(draft.related)]
            text.append(f'<div class="b-inject"><div class="b-inject__title">Lire aussi:</div>'
                        f'<a href="{esc(path)}">{esc(title)}</a></div>')
        if number % 6 == 3:
            text.append(f'<figure class="b-article__media"><img src="{CDN}/img/{number}.jpg" alt="">'
                        "<figcaption>© Sputnik . Illustration</figcaption></figure>")
    tags = "".join(f'<li><a href="/tags/{esc(t)}/">{esc(t)}</a></li>' for t in truth.keywords)
    return (
        '<div class="b-article" itemscope itemtype="http://schema.org/NewsArticle">\n'
        + "\n".join(micro) + "\n"
        f'<div class="b-article__header"><div class="b-article__header-title"><h1>{esc(truth.title)}'
        '</h1></div>\n<div class="b-article__refs">'
        f'<a class="b-article__refs-rubric" href="/{truth.section}/">{truth.section.title()}</a>\n'
        f'<time class="b-article__refs-date" datetime="{draft.published:%Y-%m-%dT%H:%M}">'
        f"{draft.published:%H:%M %d.%m.%Y}</time>\n{update}\n{authors}</div></div>\n"
        f'<div class="b-article__lead"><p>{esc(draft.description)}</p></div>\n'
        '<div class="b-article__text">\n' + "\n".join(text) + "\n</div>\n"
        f'<ul class="b-article__tags">{tags}</ul>\n</div>'
    )
