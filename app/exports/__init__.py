"""Files the service hands out (chronologies, reports, bundles): written here, made safe to
open in a spreadsheet."""
