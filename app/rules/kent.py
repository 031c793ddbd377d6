"""Kent's twelve districts and the KPAS area teams that serve them.

Source: Kent County Council district list; KPAS area teams follow KCC's four education areas
(North, South, East, West). Reference data, not statute: changed by a migration, never in place.
"""

from __future__ import annotations

from enum import StrEnum


class District(StrEnum):
    ASHFORD = "ashford"
    CANTERBURY = "canterbury"
    DARTFORD = "dartford"
    DOVER = "dover"
    FOLKESTONE_AND_HYTHE = "folkestone_and_hythe"
    GRAVESHAM = "gravesham"
    MAIDSTONE = "maidstone"
    SEVENOAKS = "sevenoaks"
    SWALE = "swale"
    THANET = "thanet"
    TONBRIDGE_AND_MALLING = "tonbridge_and_malling"
    TUNBRIDGE_WELLS = "tunbridge_wells"


class AreaTeam(StrEnum):
    NORTH = "north"
    SOUTH = "south"
    EAST = "east"
    WEST = "west"


DISTRICT_NAMES: dict[District, str] = {
    District.ASHFORD: "Ashford",
    District.CANTERBURY: "Canterbury",
    District.DARTFORD: "Dartford",
    District.DOVER: "Dover",
    District.FOLKESTONE_AND_HYTHE: "Folkestone and Hythe",
    District.GRAVESHAM: "Gravesham",
    District.MAIDSTONE: "Maidstone",
    District.SEVENOAKS: "Sevenoaks",
    District.SWALE: "Swale",
    District.THANET: "Thanet",
    District.TONBRIDGE_AND_MALLING: "Tonbridge and Malling",
    District.TUNBRIDGE_WELLS: "Tunbridge Wells",
}

AREA_TEAM_OF_DISTRICT: dict[District, AreaTeam] = {
    District.DARTFORD: AreaTeam.NORTH,
    District.GRAVESHAM: AreaTeam.NORTH,
    District.SEVENOAKS: AreaTeam.NORTH,
    District.ASHFORD: AreaTeam.SOUTH,
    District.DOVER: AreaTeam.SOUTH,
    District.FOLKESTONE_AND_HYTHE: AreaTeam.SOUTH,
    District.CANTERBURY: AreaTeam.EAST,
    District.SWALE: AreaTeam.EAST,
    District.THANET: AreaTeam.EAST,
    District.MAIDSTONE: AreaTeam.WEST,
    District.TONBRIDGE_AND_MALLING: AreaTeam.WEST,
    District.TUNBRIDGE_WELLS: AreaTeam.WEST,
}


def area_team_for(district: District) -> AreaTeam:
    return AREA_TEAM_OF_DISTRICT[district]


def districts_of(team: AreaTeam) -> list[District]:
    return [d for d, t in AREA_TEAM_OF_DISTRICT.items() if t is team]
