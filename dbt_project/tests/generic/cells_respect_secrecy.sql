{#-
    Statistical secrecy on a mart (DESIGN.md decision 4): no published cell counts fewer than k
    persons (11 or more for a table with an income-category breakdown), and a suppressed cell
    shows no population. The population column is the model's meta `population`.
-#}
{% test cells_respect_secrecy(model) %}
{%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ model.identifier) -%}
{%- set meta = node.config.meta if node else {} -%}
{%- set population = meta.get('population', 'n_persons') -%}
{%- set k = income_min_cell_size() if (node and 'mpr_income_category' in node.columns) else min_cell_size() -%}
select *
from {{ model }}
where ({{ population }} < {{ k }} and not is_suppressed)
   or (is_suppressed and {{ population }} is not null)
{% endtest %}
