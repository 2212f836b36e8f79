{#-
    Secondary suppression holds: along each total dimension of the mart (meta
    `total_dimensions`), no line (cells that differ only in that dimension, with their 'Tous')
    has exactly one suppressed cell, which the total minus the published cells would give back.
-#}
{% test no_recomputable_suppressed_cell(model) %}
{%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ model.identifier) -%}
{%- set meta = node.config.meta if node else {} -%}
{%- set totals = meta.get('total_dimensions', []) -%}
{%- set dims = meta.get('fixed_dimensions', []) + totals -%}
{%- if not totals %}
select 1 as lone_line where false
{%- endif %}
{%- for d in totals %}
{%- set others = dims | reject('equalto', d) | list %}
select '{{ d }}' as dimension, count(*) as lone_lines
from (
    select {{ others | join(', ') if others else "1 as whole_table" }}
    from {{ model }}
    group by {{ others | join(', ') if others else "1" }}
    having count(case when is_suppressed then 1 end) = 1
) as lines
having count(*) > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
