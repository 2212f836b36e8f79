{#-
    Which published periods are final and which provisional, per mart (model period_status):
    a frozen or closing period is 'définitif' (published in full, never changed but by a
    revision); an open one is 'provisoire' (its headline row, rounded), with the Paris day it
    becomes final. The dashboards label periods from it; the guard checks provisional rows.
-#}
select
    mart,
    period,
    case when status in ('frozen', 'closing') then 'définitif' else 'provisoire' end as status,
    closes_on
from {{ ref('period_status') }}
where status <> 'lost'
