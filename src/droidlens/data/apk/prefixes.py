"""Class-name prefixes that decide which calls an extracted sequence keeps.

All names are dex type descriptors (``Lpkg/Class;``), so a prefix such as ``"Landroid/"``
matches every class in the ``android`` package tree. The three tables reproduce the
procedure that built the shared dataset; pass other tuples to
:func:`droidlens.data.apk.extract_calls` to change it.
"""

from __future__ import annotations

__all__ = [
    "FRAMEWORK_PREFIXES",
    "EXCLUDED_CALLEE_PREFIXES",
    "SKIPPED_CALLER_PREFIXES",
    "OWN_CLASS_EXEMPT_PREFIXES",
]

# A call is kept only when its callee class starts with one of these prefixes: the Android
# framework, the Java class library shipped with Android, and the Kotlin standard library.
FRAMEWORK_PREFIXES: tuple[str, ...] = (
    "Landroid/",
    "Ljava/",
    "Ljavax/",
    "Ldalvik/",
    "Lorg/apache/",
    "Lorg/json/",
    "Lorg/xml/",
    "Lorg/w3c/",
    "Lcom/android/",
    "Lkotlin/",
)

# Libraries that apps bundle under framework-looking package names; calls into them say
# which library the app uses, not what the app does, so they are dropped.
EXCLUDED_CALLEE_PREFIXES: tuple[str, ...] = (
    "Landroid/support/",
    "Landroid/arch/",
    "Lcom/android/volley/",
    "Lcom/android/billingclient/",
    "Lcom/android/installreferrer/",
    "Lcom/android/vending/",
    "Lorg/apache/commons/",
)

# Classes under these prefixes are bundled libraries (AndroidX, Google Play services,
# Kotlin, OkHttp, ...) or bundled copies of framework packages; their methods are not
# walked. Other third-party code, such as ad SDKs, is walked like the app's own code.
SKIPPED_CALLER_PREFIXES: tuple[str, ...] = (
    "Landroid/support/",
    "Landroid/arch/",
    "Landroidx/",
    "Landroid/annotation/",
    "Lcom/google/android/material/",
    "Lcom/google/android/gms/",
    "Lcom/google/firebase/",
    "Lcom/google/android/exoplayer2/",
    "Lcom/google/gson/",
    "Lcom/google/common/",
    "Lcom/google/protobuf/",
    "Lcom/google/errorprone/",
    "Lcom/google/auto/",
    "Lkotlin/",
    "Lkotlinx/",
    "Lorg/intellij/",
    "Lorg/jetbrains/",
    "Lokhttp3/",
    "Lokio/",
    "Lretrofit2/",
    "Lcom/squareup/",
    "Lio/reactivex/",
    "Lrx/",
    "Lcom/bumptech/glide/",
    "Lcom/fasterxml/jackson/",
    "Lorg/greenrobot/",
    "Ldagger/",
    "Ljavax/inject/",
    "Lbutterknife/",
    "Lcom/airbnb/lottie/",
    "Lcom/android/volley/",
    "Lj$/",
    "Ljava/",
    "Ljavax/",
    "Ldalvik/",
    "Lorg/apache/",
    "Lorg/json/",
    "Lorg/xml/",
    "Lorg/w3c/",
)

# A callee class defined in the app's own dex files is app code even under a framework
# prefix (malware often hides in ``com.android.*``), so its calls are dropped. Classes
# under these prefixes are kept anyway, because apps routinely ship the Kotlin standard
# library inside their dex files.
OWN_CLASS_EXEMPT_PREFIXES: tuple[str, ...] = ("Lkotlin/",)
