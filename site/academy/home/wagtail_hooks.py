from wagtail import hooks

from .dashboard import RoleSummaryPanel


@hooks.register("construct_homepage_panels")
def add_role_summary_panel(request, panels):
    panels.append(RoleSummaryPanel(user=request.user))
