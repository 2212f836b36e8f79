{#-
    Statistical secrecy on a mart (docs/privacy-guard.md), from the figures its meta.disclosure
    declares: no figure is published where its base (the persons behind it, in the mart's
    aggregate) is between 1 and k - 1 (11 with an income-category breakdown), and a secret
    figure shows no value. Secondary suppression and the audit are the guard's (the audit
    plays the attacker over every relation of the published file). Only tonight's closing
    periods: frozen ones were checked the night they closed, and open ones are rounded headline
    rows, which the guard checks (model period_status).
-#}
{% test cells_respect_secrecy(model) %}
{%- set status = ref('period_status') -%}
{%- if execute -%}
{%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model.identifier) -%}
{%- set spec = node.config.meta.get('disclosure') if node else none -%}
{%- if not spec -%}
    {{ exceptions.raise_compiler_error(model.identifier ~ ": cells_respect_secrecy needs meta.disclosure.") }}
{%- endif -%}
{%- set aggregate = graph.nodes.get('model.' ~ project_name ~ '.' ~ spec.aggregate) -%}
{%- set k = income_min_cell_size() if spec.get('income_breakdown') else min_cell_size() -%}
{%- set keys = [spec.period] + (spec.get('dimensions') or {}).keys() | list -%}
select mart.*
from {{ model }} as mart
inner join {{ aggregate.relation_name }} as cells
    on {% for key in keys %}{% if not loop.first %} and {% endif %}cells.{{ key }} = mart.{{ key }}{% endfor %}
inner join {{ status }} as status
    on status.mart = '{{ model.identifier }}' and status.period = cast(mart.{{ spec.period }} as date)
where status.status = 'closing' and (false
{%- for name, figure in spec.figures.items() if not figure.get('virtual') %}
    or (mart.{{ name }}_secret and mart.{{ name }} is not null)
    {%- if figure.get('base') %}
    or (not mart.{{ name }}_secret and cells.{{ figure.base }} > 0 and cells.{{ figure.base }} < {{ k }})
    {%- endif %}
{%- endfor %}
)
{%- else -%}
select 1 as placeholder where false
{%- endif -%}
{% endtest %}
