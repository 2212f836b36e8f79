{#-
    Complete grids (docs/privacy-guard.md): a mart has a row for every period and every value of
    its dimensions, zeros included, so that which rows exist tells nothing about anyone.

    `dims` is a list of [column, values] pairs; each dimension also has its total row 'Tous'.
    - one_way_grid: the total row, then each dimension's values with the others at 'Tous'
      (a month by one dimension at a time: what the dashboards read);
    - crossed_grid: every combination of every dimension's values and 'Tous'.
-#}
{% macro dimension_values(values) -%}
    {%- for v in values %}select '{{ v }}' as value{% if not loop.last %} union all {% endif %}{% endfor -%}
{%- endmacro %}

{% macro one_way_grid(periods, period, dims) -%}
    select periods.{{ period }}{% for d, _ in dims %}, 'Tous' as {{ d }}{% endfor %}
    from {{ periods }} as periods
    {%- for d, values in dims %}
    union all
    select periods.{{ period }}
        {%- for other, _ in dims %}, {% if other == d %}dimension.value{% else %}'Tous'{% endif %} as {{ other }}{% endfor %}
    from {{ periods }} as periods
    cross join ({{ dimension_values(values) }}) as dimension
    {%- endfor %}
{%- endmacro %}

{% macro crossed_grid(periods, period, dims) -%}
    select periods.{{ period }}{% for d, _ in dims %}, {{ d }}.value as {{ d }}{% endfor %}
    from {{ periods }} as periods
    {%- for d, values in dims %}
    cross join ({{ dimension_values(values + ['Tous']) }}) as {{ d }}
    {%- endfor %}
{%- endmacro %}

{#-
    The facts of `relation` repeated once for each row of a one-way grid they count in: their
    own value of each dimension with the others at 'Tous', and once with all at 'Tous'.
    `columns` are the other columns carried along.
-#}
{% macro one_way_cells(relation, period, dims, columns) -%}
    select {{ period }}{% for d in dims %}, 'Tous' as {{ d }}{% endfor %}{% for c in columns %}, {{ c }}{% endfor %}
    from {{ relation }}
    {%- for d in dims %}
    union all
    select {{ period }}
        {%- for other in dims %}, {% if other == d %}{{ d }}{% else %}'Tous'{% endif %} as {{ other }}{% endfor %}
        {%- for c in columns %}, {{ c }}{% endfor %}
    from {{ relation }}
    {%- endfor %}
{%- endmacro %}

{% macro crossed_cells(relation, period, dims, columns) -%}
    {%- set n = dims | length -%}
    {%- for mask in range(2 ** n) %}
    {% if not loop.first %}union all{% endif %}
    select {{ period }}
        {%- for d in dims %}, {% if (mask // (2 ** loop.index0)) % 2 == 1 %}'Tous'{% else %}{{ d }}{% endif %} as {{ d }}{% endfor %}
        {%- for c in columns %}, {{ c }}{% endfor %}
    from {{ relation }}
    {%- endfor %}
{%- endmacro %}
