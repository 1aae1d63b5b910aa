"""What Vulkan sees, for the GPU check's detect phase (scripts/GPU.md): loads libvulkan.so.1 as Dawn does, creates
an instance and lists the physical devices (name, type, Vulkan and driver versions), as one JSON line. It tells
"the loader found no driver" from "Dawn refused the device". Standard library only (ctypes), no Vulkan SDK."""
import ctypes
import json
import sys

TYPES = {0: "other", 1: "integrated", 2: "discrete", 3: "virtual", 4: "cpu"}


class AppInfo(ctypes.Structure):
    _fields_ = [("sType", ctypes.c_int), ("pNext", ctypes.c_void_p), ("pApplicationName", ctypes.c_char_p),
                ("applicationVersion", ctypes.c_uint32), ("pEngineName", ctypes.c_char_p),
                ("engineVersion", ctypes.c_uint32), ("apiVersion", ctypes.c_uint32)]


class InstanceInfo(ctypes.Structure):
    _fields_ = [("sType", ctypes.c_int), ("pNext", ctypes.c_void_p), ("flags", ctypes.c_uint32),
                ("pApplicationInfo", ctypes.POINTER(AppInfo)), ("enabledLayerCount", ctypes.c_uint32),
                ("ppEnabledLayerNames", ctypes.c_void_p), ("enabledExtensionCount", ctypes.c_uint32),
                ("ppEnabledExtensionNames", ctypes.c_void_p)]


def version(v):
    return f"{v >> 22}.{(v >> 12) & 0x3FF}.{v & 0xFFF}"


def main():
    try:
        vk = ctypes.CDLL("libvulkan.so.1")
    except OSError as e:
        return {"loader": False, "error": str(e)}
    app = AppInfo(0, None, b"gpu-check", 1, b"rlhfkit", 1, (1 << 22) | (1 << 12))  # Vulkan 1.1
    info = InstanceInfo(1, None, 0, ctypes.pointer(app), 0, None, 0, None)
    instance = ctypes.c_void_p()
    res = vk.vkCreateInstance(ctypes.byref(info), None, ctypes.byref(instance))
    if res != 0:
        return {"loader": True, "error": f"vkCreateInstance returned {res} (-9: no driver found)"}
    count = ctypes.c_uint32(0)
    vk.vkEnumeratePhysicalDevices(instance, ctypes.byref(count), None)
    handles = (ctypes.c_void_p * count.value)()
    vk.vkEnumeratePhysicalDevices(instance, ctypes.byref(count), handles)
    devices = []
    for h in handles:
        # VkPhysicalDeviceProperties starts apiVersion, driverVersion, vendorID, deviceID (uint32 each),
        # deviceType (int32), deviceName (char[256]); the rest (limits) only needs room.
        props = ctypes.create_string_buffer(4096)
        vk.vkGetPhysicalDeviceProperties(ctypes.c_void_p(h), props)
        head = (ctypes.c_uint32 * 5).from_buffer(props)
        devices.append({"name": props.raw[20:276].split(b"\0")[0].decode(), "type": TYPES.get(head[4], head[4]),
                        "vulkan": version(head[0]), "driver": head[1], "vendor": hex(head[2])})
    vk.vkDestroyInstance(instance, None)
    return {"loader": True, "devices": devices}


json.dump(main(), sys.stdout)
sys.stdout.write("\n")
