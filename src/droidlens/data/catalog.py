"""Android and Java framework methods grouped by behaviour, and known malicious call chains.

The method list is stored in ``framework_methods.json`` next to this module. Every entry is a
real method of the Android SDK or the Java class library, written in the smali notation of the
extractor (``Lpkg/Class;->method``, no signature). Each entry is tagged with its behaviour and
with ``sensitive``, which marks access to private data, money or the device's security.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from droidlens.errors import DataError

__all__ = [
    "FrameworkMethod",
    "Catalog",
    "MaliciousChain",
    "MALICIOUS_CHAINS",
    "load_catalog",
    "get_chain",
]

_CATALOG_FILE = "framework_methods.json"
_CALL_PATTERN = re.compile(r"^L[\w/$]+;->(?:<init>|<clinit>|[\w$]+)$")


@dataclass(frozen=True)
class FrameworkMethod:
    """One framework method of the catalogue.

    Attributes
    ----------
    call : str
        The method in smali notation, such as ``"Landroid/telephony/SmsManager;->getDefault"``.
    behaviour : str
        The behaviour group, such as ``"sms"``.
    sensitive : bool
        True for methods that read private data, send data or money away, or weaken the
        device's security. False for calls that are common in every kind of app.
    """

    call: str
    behaviour: str
    sensitive: bool


@dataclass(frozen=True)
class Catalog:
    """The framework methods, in file order, and a description of each behaviour.

    Attributes
    ----------
    methods : tuple of FrameworkMethod
        Every method once, grouped by behaviour.
    descriptions : dict of str to str
        Behaviour name to a one-sentence description, in file order.
    """

    methods: tuple[FrameworkMethod, ...]
    descriptions: dict[str, str]

    @property
    def behaviours(self) -> tuple[str, ...]:
        """Behaviour names in file order."""
        return tuple(self.descriptions)

    @property
    def calls(self) -> tuple[str, ...]:
        """Every call of the catalogue, in file order."""
        return tuple(method.call for method in self.methods)

    def calls_of(self, behaviour: str) -> tuple[str, ...]:
        """Return the calls of one behaviour, in file order.

        Raises
        ------
        ValueError
            If ``behaviour`` is not a behaviour of the catalogue.
        """
        if behaviour not in self.descriptions:
            raise ValueError(
                f"unknown behaviour {behaviour!r}; expected one of {', '.join(self.behaviours)}"
            )
        return tuple(m.call for m in self.methods if m.behaviour == behaviour)

    def sensitive_calls(self) -> tuple[str, ...]:
        """Return the calls marked sensitive, in file order."""
        return tuple(method.call for method in self.methods if method.sensitive)


@dataclass(frozen=True)
class MaliciousChain:
    """An ordered list of calls that together carry out one malicious behaviour.

    Attributes
    ----------
    name : str
        Short name, also used as the malware family of synthetic apps, such as ``"sms_fraud"``.
    description : str
        What the chain does, in one or two sentences.
    calls : tuple of str
        The calls in the order the malicious code makes them.
    """

    name: str
    description: str
    calls: tuple[str, ...]


MALICIOUS_CHAINS: tuple[MaliciousChain, ...] = (
    MaliciousChain(
        name="sms_fraud",
        description="Reads the device id, builds a message around it and sends it to a "
        "premium-rate number.",
        calls=(
            "Landroid/telephony/TelephonyManager;->getDeviceId",
            "Ljava/lang/StringBuilder;->append",
            "Landroid/telephony/SmsManager;->getDefault",
            "Landroid/telephony/SmsManager;->sendTextMessage",
        ),
    ),
    MaliciousChain(
        name="dropper",
        description="Downloads a dex file, writes it to storage and loads a class from it.",
        calls=(
            "Ljava/net/URL;->openConnection",
            "Ljava/net/HttpURLConnection;->getInputStream",
            "Ljava/io/FileOutputStream;->write",
            "Ldalvik/system/DexClassLoader;-><init>",
            "Ljava/lang/ClassLoader;->loadClass",
        ),
    ),
    MaliciousChain(
        name="location_exfiltration",
        description="Reads the last known location and posts its coordinates to a server.",
        calls=(
            "Landroid/location/LocationManager;->getLastKnownLocation",
            "Landroid/location/Location;->getLatitude",
            "Landroid/location/Location;->getLongitude",
            "Lorg/json/JSONObject;->put",
            "Ljava/net/HttpURLConnection;->getOutputStream",
            "Ljava/io/OutputStream;->write",
        ),
    ),
    MaliciousChain(
        name="contacts_theft",
        description="Walks the contacts provider, collects names and numbers into JSON and "
        "uploads them with an HTTP POST.",
        calls=(
            "Landroid/content/ContentResolver;->query",
            "Landroid/database/Cursor;->moveToNext",
            "Landroid/database/Cursor;->getString",
            "Lorg/json/JSONArray;->put",
            "Lorg/apache/http/client/methods/HttpPost;->setEntity",
            "Lorg/apache/http/impl/client/DefaultHttpClient;->execute",
        ),
    ),
    MaliciousChain(
        name="reflection_hiding",
        description="Hides the launcher icon, then decodes a class and method name and calls "
        "the method through reflection so that static analysis does not see it.",
        calls=(
            "Landroid/content/pm/PackageManager;->setComponentEnabledSetting",
            "Landroid/util/Base64;->decode",
            "Ljava/lang/Class;->forName",
            "Ljava/lang/Class;->getDeclaredMethod",
            "Ljava/lang/reflect/Method;->setAccessible",
            "Ljava/lang/reflect/Method;->invoke",
        ),
    ),
    MaliciousChain(
        name="root_exec",
        description="Starts a shell through Runtime.exec, writes commands such as su to its "
        "standard input and waits for them.",
        calls=(
            "Ljava/lang/Runtime;->getRuntime",
            "Ljava/lang/Runtime;->exec",
            "Ljava/lang/Process;->getOutputStream",
            "Ljava/io/DataOutputStream;->writeBytes",
            "Ljava/io/DataOutputStream;->flush",
            "Ljava/lang/Process;->waitFor",
        ),
    ),
    MaliciousChain(
        name="accessibility_abuse",
        description="Finds buttons in other apps' windows through an accessibility service, "
        "clicks them and leaves with a global action.",
        calls=(
            "Landroid/view/accessibility/AccessibilityEvent;->getSource",
            "Landroid/view/accessibility/AccessibilityNodeInfo;->findAccessibilityNodeInfosByText",
            "Landroid/view/accessibility/AccessibilityNodeInfo;->performAction",
            "Landroid/accessibilityservice/AccessibilityService;->performGlobalAction",
        ),
    ),
    MaliciousChain(
        name="device_admin_lock",
        description="Checks for device administrator rights, sets a new screen-lock password "
        "and locks the screen.",
        calls=(
            "Landroid/app/admin/DevicePolicyManager;->isAdminActive",
            "Landroid/app/admin/DevicePolicyManager;->resetPassword",
            "Landroid/app/admin/DevicePolicyManager;->lockNow",
        ),
    ),
    MaliciousChain(
        name="crypto_ransomware",
        description="Lists the files on external storage, encrypts each one with a cipher, "
        "writes the result and deletes the original.",
        calls=(
            "Landroid/os/Environment;->getExternalStorageDirectory",
            "Ljava/io/File;->listFiles",
            "Ljavax/crypto/Cipher;->getInstance",
            "Ljavax/crypto/Cipher;->init",
            "Ljava/io/FileInputStream;->read",
            "Ljavax/crypto/Cipher;->doFinal",
            "Ljava/io/FileOutputStream;->write",
            "Ljava/io/File;->delete",
        ),
    ),
    MaliciousChain(
        name="sms_interception",
        description="Parses incoming SMS messages, reads sender and body (such as bank "
        "one-time codes) and hides the message from the user's SMS app.",
        calls=(
            "Landroid/telephony/SmsMessage;->createFromPdu",
            "Landroid/telephony/SmsMessage;->getOriginatingAddress",
            "Landroid/telephony/SmsMessage;->getMessageBody",
            "Landroid/content/BroadcastReceiver;->abortBroadcast",
        ),
    ),
)


def get_chain(name: str) -> MaliciousChain:
    """Return the malicious chain called ``name``.

    Raises
    ------
    ValueError
        If no chain has that name.
    """
    for chain in MALICIOUS_CHAINS:
        if chain.name == name:
            return chain
    known = ", ".join(chain.name for chain in MALICIOUS_CHAINS)
    raise ValueError(f"unknown malicious chain {name!r}; expected one of {known}")


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Read the framework method catalogue shipped with the package.

    Returns
    -------
    Catalog
        The methods and behaviour descriptions; the same object on every call.

    Raises
    ------
    DataError
        If the shipped file is malformed: a call not in smali notation, a call listed twice,
        or a chain call missing from the catalogue.
    """
    text = resources.files("droidlens.data").joinpath(_CATALOG_FILE).read_text("utf-8")
    behaviours = json.loads(text)["behaviours"]

    methods: list[FrameworkMethod] = []
    descriptions: dict[str, str] = {}
    for behaviour, entry in behaviours.items():
        descriptions[behaviour] = entry["description"]
        for item in entry["methods"]:
            methods.append(FrameworkMethod(item["call"], behaviour, bool(item["sensitive"])))

    _check_catalog(methods)
    return Catalog(methods=tuple(methods), descriptions=descriptions)


def _check_catalog(methods: list[FrameworkMethod]) -> None:
    seen: set[str] = set()
    for method in methods:
        if not _CALL_PATTERN.match(method.call):
            raise DataError(f"{_CATALOG_FILE}: call {method.call!r} is not Lpkg/Class;->method")
        if method.call in seen:
            raise DataError(f"{_CATALOG_FILE}: call {method.call!r} is listed twice")
        seen.add(method.call)
    for chain in MALICIOUS_CHAINS:
        for call in chain.calls:
            if call not in seen:
                raise DataError(
                    f"{_CATALOG_FILE}: call {call!r} of chain {chain.name!r} is not in the "
                    "catalogue; add it to the file"
                )
