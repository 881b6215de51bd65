"""Drives pyxtream (a strict XC client library) against a running xcserver, as PyXtreamTests runs it.

    python3 pyxtream_client.py SERVER_URL USERNAME PASSWORD CACHE_DIR RESULT_JSON MOVIE_ID EPISODE_ID

Logs in, loads the whole catalog (load_iptv), loads every series' episodes, and fetches the first KiB
of the stream URLs that pyxtream built itself for movie MOVIE_ID and episode EPISODE_ID. Any exception pyxtream raises (a field it
cannot convert, a missing key) ends the script with a traceback and a non-zero status. What it saw goes
to RESULT_JSON for the Swift test to compare with xcserver's own answers.
"""

import json
import sys

import requests
from pyxtream import XTream


def first_bytes(url):
    reply = requests.get(url, headers={"Range": "bytes=0-1023"}, timeout=30)
    return {"url": url, "status": reply.status_code, "hex": reply.content[:1024].hex()}


def main():
    server, username, password, cache_dir, result_path, movie_id, episode_id = sys.argv[1:8]
    # reload_time_sec=-1: never reuse cached lists; cache_path: pyxtream writes its files there, not in ~.
    xtream = XTream("xcserver", username, password, server, cache_path=cache_dir, reload_time_sec=-1)
    if not xtream.state["authenticated"]:
        sys.exit("pyxtream could not log in")
    expires_in_days = xtream.account_expiration.days

    if not xtream.load_iptv():
        sys.exit("load_iptv() returned False")

    episodes = []
    for serie in xtream.series:
        xtream.get_series_info_by_id(serie)
        for season in serie.seasons.values():
            for episode in season.episodes.values():
                episodes.append({"series_id": serie.series_id, "id": str(episode.id), "url": episode.url})

    movies = [{"id": movie.id, "name": movie.name, "added": movie.added, "group_id": movie.group_id,
               "url": movie.url} for movie in xtream.movies]
    result = {
        "expires_in_days": expires_in_days,
        "movies": movies,
        "series": [serie.series_id for serie in xtream.series],
        "episodes": episodes,
        "movie_bytes": next((first_bytes(m["url"]) for m in movies if str(m["id"]) == movie_id), None),
        "episode_bytes": next((first_bytes(e["url"]) for e in episodes if e["id"] == episode_id), None),
    }
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
