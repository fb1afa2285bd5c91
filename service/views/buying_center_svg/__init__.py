"""The buying-center map as a standalone SVG picture: a pure, deterministic function of the map view.

Reading the picture: circle size = influence, fill = attitude to us, badges above = roles, red ring = named in a
coverage risk, dashed and faded = left the client. Solid edges are formal (reports to, arrow to the boss), dashed
ones informal. People are grouped by organisation (the client, i.e. the most common one, first) and department,
on a grid sized to the content, so circles never overlap. The same view always gives the same bytes: no clock,
no randomness, ties broken by the order of the input.
"""

from service.views.buying_center_svg.document import render

__all__ = ["render"]
