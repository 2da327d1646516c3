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

    from ui import base_url, media_guard, warmup

    app = st.App(
        __file__,
        lifespan=warmup.lifespan,
        middleware=[
            Middleware(media_guard.MediaGuard),  # a made download answers its own browser only
            Middleware(
                base_url.BaseUrlHint,
                base_path=lambda: st.get_option("server.baseUrlPath") or "",
            ),
        ],
    )
else:  # the app script, run for every page view
    from ui import access, bootstrap, filters, prefetch
    from ui.guard import guarded

    st.set_page_config(page_title=TITLE, page_icon=ICON, layout="wide")

    # The policy's name of each page is its address; no icon: a hidden page (reached by links).
    PAGES = [
        ("review", "north_star.py", "North Star — weekly review", ":material/star:"),
        ("pairs", "old_vs_north_star.py", "Old KPIs vs North Star", ":material/balance:"),
        ("explore", "explore_view.py", "Explore", ":material/search:"),
        ("data", "data_and_definitions.py", "Data & definitions", ":material/menu_book:"),
        ("portfolio", "portfolios.py", "Portfolios", ":material/groups:"),
        ("at-risk", "at_risk.py", "Promises at risk", ":material/running_with_errors:"),
        ("contact-center", "contact_center.py", "Contact center", ":material/support_agent:"),
        ("sop-wall", "wall.py", "S&OP wall screen", ":material/tv:"),
        ("account", "customer.py", "Customer", None),
    ]

    # Anything a page does not handle itself: a plain message with an error id, no traceback.
    with guarded():
        viewer = access.gate()
        allowed = [row for row in PAGES if viewer.sees_page(row[0])]
        if not allowed:
            access.no_pages(viewer)
        # The review is the home page ("/"). Without it, the first page the viewer may see (for
        # a kiosk link: the wall) is served at "/" and at its own address too (Streamlit serves
        # a default page at "/" only).
        home = allowed[0]
        pages = [
            st.Page(
                f"pages/{script}",
                title=title,
                icon=icon,
                url_path=name,
                visibility="visible" if icon else "hidden",
                default=name == "review",
            )
            for name, script, title, icon in allowed
        ]
        page_names = {p.url_path: row[0] for p, row in zip(pages, allowed)}
        if home[0] != "review":
            pages.insert(
                0,
                st.Page(
                    f"pages/{home[1]}",
                    title=home[2],
                    url_path="home",
                    visibility="hidden",
                    default=True,
                ),
            )
        # Every other address still answers, hidden, with nothing of its page: a kiosk link shows
        # its wall there, anyone else a plain "not part of your access" page.
        for name, _, title, _ in PAGES:
            if not viewer.sees_page(name):
                pages.append(access.closed_page(viewer, name, title))
                page_names[name] = f"{name} (closed)"

        navigation = st.navigation(pages)
        # Each browser tab carries its page's title.
        st.set_page_config(page_title=f"{navigation.title} · {TITLE}", page_icon=ICON)
        with prefetch.visiting():  # background warming waits while a page view runs
            bootstrap.ensure_warehouse()
            access.user_bar(viewer)
            access.record_view(viewer, page_names.get(navigation.url_path, home[0]))
            filters.sidebar()
            navigation.run()
