"""North Star dashboard: `streamlit run dashboard.py`.

The shared filters live in the sidebar here, before the page runs, so they
carry across pages and sit in the URL.

`streamlit run` first imports this file to find the server (``app``, whose
start warms the caches in the background, see ``ui/warmup.py``), then runs it
as the app script (``__name__ == "__main__"``) for every page view.
"""

import streamlit as st

TITLE = "North Star"
ICON = "⭐"  # an emoji favicon is drawn in the page: no icon font fetched from the internet

if __name__ != "__main__":  # imported by `streamlit run` to serve the app
    from starlette.middleware import Middleware

    from ui import base_url, warmup

    app = st.App(
        __file__,
        lifespan=warmup.lifespan,
        middleware=[
            Middleware(
                base_url.BaseUrlHint,
                base_path=lambda: st.get_option("server.baseUrlPath") or "",
            )
        ],
    )
else:  # the app script, run for every page view
    from ui import bootstrap, filters, prefetch

    st.set_page_config(page_title=TITLE, page_icon=ICON, layout="wide")

    PAGES = [
        st.Page(
            "pages/north_star.py",
            title="North Star — weekly review",
            icon=":material/star:",
            default=True,
        ),
        st.Page(
            "pages/old_vs_north_star.py",
            title="Old KPIs vs North Star",
            icon=":material/balance:",
            url_path="pairs",
        ),
        st.Page(
            "pages/explore_view.py", title="Explore", icon=":material/search:", url_path="explore"
        ),
        st.Page(
            "pages/data_and_definitions.py",
            title="Data & definitions",
            icon=":material/menu_book:",
            url_path="data",
        ),
        st.Page(
            "pages/portfolios.py",
            title="Portfolios",
            icon=":material/groups:",
            url_path="portfolio",
        ),
        st.Page(
            "pages/at_risk.py",
            title="Promises at risk",
            icon=":material/running_with_errors:",
            url_path="at-risk",
        ),
        st.Page(
            "pages/contact_center.py",
            title="Contact center",
            icon=":material/support_agent:",
            url_path="contact-center",
        ),
        st.Page(
            "pages/wall.py", title="S&OP wall screen", icon=":material/tv:", url_path="sop-wall"
        ),
        st.Page("pages/customer.py", title="Customer", url_path="account", visibility="hidden"),
    ]

    navigation = st.navigation(PAGES)
    # Each browser tab carries its page's title.
    st.set_page_config(page_title=f"{navigation.title} · {TITLE}", page_icon=ICON)
    with prefetch.visiting():  # background warming waits while a page view runs
        bootstrap.ensure_warehouse()
        filters.sidebar()
        navigation.run()
