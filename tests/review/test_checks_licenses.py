"""License detection (SPDX tags, notices, full texts), OSADL compatibility, the check."""

from __future__ import annotations

import pytest

from review.checks import InvalidLicense, LicensesCheck
from review.checks.license_detect import (
    NO,
    UNDEFINED,
    YES,
    compatibility,
    detect_in_text,
    identify_text,
    normalise_expression,
)

from .screening_helpers import APACHE_2, ctx, memfile

MIT_TEXT = """MIT License

Copyright (c) 2024 Someone

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

NOTICES = {
    "GPL-2.0-or-later": """/* This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version. */""",
    "GPL-2.0-only": """# This program is free software; you can redistribute it and/or modify
# it under the terms of the GNU General Public License version 2 as
# published by the Free Software Foundation.""",
    "GPL-3.0-or-later": """// This file is part of Foo. Foo is free software: you can redistribute it and/or
// modify it under the terms of the GNU General Public License as published by the
// Free Software Foundation, either version 3 of the License, or (at your option)
// any later version.""",
    "LGPL-2.1-or-later": """ * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.""",
    "AGPL-3.0-or-later": """# under the terms of the GNU Affero General Public License as published
# by the Free Software Foundation, either version 3 of the License, or
# (at your option) any later version.""",
    "Apache-2.0": """# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.""",
    "MPL-2.0": """/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */""",
    "BSD-3-Clause": """ * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 * 1. Redistributions of source code must retain the above copyright notice.
 * 2. Redistributions in binary form must reproduce the above copyright notice.
 * 3. Neither the name of the copyright holder nor the names of its contributors
 *    may be used to endorse or promote products derived from this software.""",
    "BSD-2-Clause": """ * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 * 1. Redistributions of source code must retain the above copyright notice.
 * 2. Redistributions in binary form must reproduce the above copyright notice.""",
    "ISC": """ * Permission to use, copy, modify, and/or distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.""",
    "MIT": MIT_TEXT,
    "LicenseRef-Proprietary": """// Copyright (C) Example Corp - All Rights Reserved
// Unauthorized copying of this file, via any medium is strictly prohibited
// Proprietary and confidential""",
}


def line_of(offset):
    return 1


@pytest.mark.parametrize(("spdx", "text"), NOTICES.items(), ids=list(NOTICES))
def test_notices(spdx, text):
    found = detect_in_text(text + "\nint main(void) { return 0; }\n", line_of)
    assert [d.expression for d in found] == [spdx]


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("# This code is licensed under the MIT License.\n", "MIT"),
        ("Use of this source code is governed by an MIT-style license.\n", "MIT"),
        ("# Licensed under the GNU GPL v2 or later.\n", "GPL-2.0-or-later"),
        ("# License: GPLv3\n# Licensed under the GPL version 3.\n", "GPL-3.0-only"),
        ("/* License: AGPL 3.0\n * under the terms of the GNU Affero General Public License as "
         "published by the Free Software Foundation, either version 3 of the License, or (at "
         "your option) any later version. */\n", "AGPL-3.0-or-later"),
        ("distributed under the GNU Lesser General Public Licence as published by the FSF\n",
         "LGPL-2.0-or-later"),
        ("under the terms of version 2.1 of the GNU Lesser General Public License\n",
         "LGPL-2.1-only"),
        ("# Released under the New BSD license.\n", "BSD-3-Clause"),
        ("made available under the terms of the Eclipse Public License 2.0\n", "EPL-2.0"),
    ],
)  # fmt: skip
def test_license_references(text, spdx):
    assert [d.expression for d in detect_in_text(text, line_of)] == [spdx]


@pytest.mark.parametrize(
    "text",
    [
        "import os\n\nprint('license plate')\n",
        "# Unlike GPL tools, this one is small.\n",
        "See LICENSE for details.\n",
        "Copyright 2024 Example. All rights reserved.\n",
    ],
)
def test_no_license_in_ordinary_text(text):
    assert detect_in_text(text, line_of) == []


def test_spdx_tags():
    found = detect_in_text(
        "// SPDX-License-Identifier: MIT OR Apache-2.0\n"
        "/* SPDX-License-Identifier: GPL-2.0+ */\n"
        "# SPDX-License-Identifier: LicenseRef-Internal\n"
        "# SPDX-License-Identifier: Apache 2\n",
        line_of,
    )
    assert [(d.expression, d.error is None) for d in found] == [
        ("MIT OR Apache-2.0", True),
        ("GPL-2.0-or-later", True),
        ("LicenseRef-Internal", True),
        ("Apache 2", False),
    ]


def test_full_texts_are_identified():
    assert identify_text(APACHE_2)[0] == "Apache-2.0"
    assert identify_text(APACHE_2)[1] > 0.95
    assert identify_text(MIT_TEXT)[0] == "MIT"
    # Without askalono the title rule still names a full Apache text.
    assert [d.expression for d in detect_in_text(APACHE_2, line_of)] == ["Apache-2.0"]


def test_outbound_normalisation():
    assert normalise_expression("apache-2.0") == "Apache-2.0"
    assert normalise_expression("mit or apache-2.0") == "MIT OR Apache-2.0"
    assert normalise_expression("GPL-2.0+") == "GPL-2.0-or-later"
    with pytest.raises(InvalidLicense):
        normalise_expression("Apache License 2.0")


@pytest.mark.parametrize(
    ("outbound", "inbound", "status"),
    [
        (["Apache-2.0"], "GPL-2.0-only", NO),
        (["Apache-2.0"], "MIT", YES),
        (["Apache-2.0"], "MIT OR GPL-2.0-only", YES),
        (["Apache-2.0"], "MIT AND GPL-2.0-only", NO),
        (["GPL-3.0-or-later"], "Apache-2.0", YES),
        (["GPL-2.0-only"], "Apache-2.0", NO),
        (["MIT", "Apache-2.0"], "BSD-3-Clause", YES),
        (["MIT", "GPL-2.0-only"], "Apache-2.0", NO),  # must fit every outbound choice
        (["Apache-2.0"], "LicenseRef-Custom", UNDEFINED),
        (["Apache-2.0"], "LicenseRef-Proprietary", NO),
        (["Apache-2.0"], "Apache-2.0", YES),
    ],
)
def test_osadl_compatibility(outbound, inbound, status):
    assert compatibility(outbound, inbound)[0] == status


def run_check(files, license="Apache-2.0"):
    check = LicensesCheck(ctx(license=license))
    found = [x for f in files for x in check.scan_file(f)]
    found += list(check.finish())
    return sorted((x.rule, x.severity, x.path) for x in found)


def test_dual_license_needs_both_texts():
    assert run_check([memfile("LICENSE.md", APACHE_2)], "MIT OR Apache-2.0") == [
        ("license-file-mismatch", "blocker", "LICENSE.md")
    ]
    files = [memfile("LICENSE-APACHE", APACHE_2), memfile("LICENSE-MIT", MIT_TEXT)]
    assert run_check(files, "MIT OR Apache-2.0") == []


def test_missing_license_file():
    assert run_check([memfile("README.md", "hi")]) == [
        ("license-file-missing", "blocker", "LICENSE")
    ]


def test_third_party_license_files_and_unknown_licenses():
    files = [
        memfile("LICENSE", APACHE_2),
        memfile("vendor/lib/COPYING", NOTICES["GPL-2.0-or-later"]),
        memfile("src/a.py", "# SPDX-License-Identifier: LicenseRef-Custom\n"),
        memfile("src/b.py", "# SPDX-License-Identifier: Apache 2\n"),
        memfile("src/c.py", NOTICES["BSD-3-Clause"]),
    ]
    assert run_check(files) == [
        ("incompatible-license", "blocker", "vendor/lib/COPYING"),
        ("license-compat-unknown", "medium", "src/a.py"),
        ("spdx-tag-invalid", "medium", "src/b.py"),
    ]


def test_history_only_license_problem_names_its_commit():
    check = LicensesCheck(ctx(license="Apache-2.0"))
    old = memfile("old/gpl.c", NOTICES["GPL-2.0-only"], commit="e" * 40, in_tree=False)
    for f in (memfile("LICENSE", APACHE_2), old):
        list(check.scan_file(f))
    (finding,) = check.finish()
    assert (finding.rule, finding.commit) == ("incompatible-license", "e" * 40)
    assert "only in history" in finding.message
